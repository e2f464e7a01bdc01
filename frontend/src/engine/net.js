// @ts-check
// The browser's own decoder and encoder: a net written by vae/artifacts/browser_net.py (a JSON layer
// list and a .bin of float16 weights beside it) run by small kernels, instead of an ONNX graph and
// onnxruntime-web's 14 MB WebAssembly. loadNet(url) reads both files and checks them against each
// other; run(input) gives what the ONNX export gives: the decoder's pixel means (C, H, W) in [0, 1],
// the encoder's posterior mean μ.

import { conv, gatherWeights, linear, relu, sigmoid, silu, toChannelsLast } from "./kernels.js";

export const FORMAT = "vae-browser-net";
export const VERSION = 1;

/**
 * A weight in the .bin: its byte offset and its shape (float16 values, row-major).
 * @typedef {object} TensorRef
 * @property {number} offset
 * @property {number[]} shape
 */

/** @typedef {{op: "linear", in_features: number, out_features: number, weight: TensorRef, bias: TensorRef}} LinearLayer */
/**
 * @typedef {object} ConvLayer
 * @property {"conv" | "conv_transpose"} op
 * @property {number} in_channels
 * @property {number} out_channels
 * @property {number} kernel
 * @property {number} stride
 * @property {number} padding
 * @property {[number, number, number]} in_shape
 * @property {[number, number, number]} out_shape
 * @property {TensorRef} weight (C_out, C_in, k, k), or (C_in, C_out, k, k) transposed, as torch stores it
 * @property {TensorRef} bias
 */
/** @typedef {{op: "residual", layers: Layer[]}} ResidualLayer */
/** @typedef {{op: "silu" | "relu" | "sigmoid"} | {op: "reshape", shape: number[]} | {op: "slice", start: number, size: number}} PlainLayer */
/** @typedef {LinearLayer | ConvLayer | ResidualLayer | PlainLayer} Layer */

/**
 * The spec: the JSON browser_net.py writes.
 * @typedef {object} NetSpec
 * @property {string} format
 * @property {number} version
 * @property {"decoder" | "encoder"} part
 * @property {string} model
 * @property {string} weights_sha256
 * @property {number} input_size
 * @property {number[]} input_shape
 * @property {number[]} output_shape
 * @property {"float16"} dtype
 * @property {string} bin the .bin's name, beside the JSON
 * @property {number} bin_bytes
 * @property {Layer[]} layers
 */

/**
 * @typedef {object} NetOptions
 * @property {(url: string) => Promise<Response>} [fetch] how files are read (default: globalThis.fetch)
 * @property {string} [weightsSha256] refuse a net made from other weights than these
 */

/**
 * @typedef {object} Net
 * @property {NetSpec} spec
 * @property {number} inputSize
 * @property {number[]} outputShape
 * @property {string} backend which kernels run it
 * @property {(input: Float32Array) => Promise<Float32Array>} run a fresh array each call
 */

/**
 * One float16 value (its 16 bits) as a number, exactly.
 * @param {number} h
 */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * The float32 values of one weight of the .bin.
 * @param {DataView} bin
 * @param {TensorRef} ref
 * @param {string} what for the error message
 */
function tensor(bin, ref, what) {
  const n = ref.shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(ref.offset) || ref.offset < 0 || ref.offset + 2 * n > bin.byteLength)
    throw new Error(`${what}: its ${n} float16 values at byte ${ref.offset} lie outside the .bin (${bin.byteLength} bytes)`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(bin.getUint16(ref.offset + 2 * i, true));
  return out;
}

/** @typedef {(x: Float32Array) => Float32Array} Step */

/**
 * x through the steps in order.
 * @param {Step[]} steps
 * @param {Float32Array} x
 * @returns {Float32Array}
 */
function through(steps, x) {
  let v = x;
  for (const step of steps) v = step(v);
  return v;
}

/**
 * @param {number[]} shape
 */
const size = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * The plain JavaScript step of a convolution layer.
 * @param {ConvLayer} layer
 * @param {DataView} bin
 * @param {string} where
 * @returns {Step}
 */
function convStep(layer, bin, where) {
  /** @type {import("./kernels.js").ConvShape} */
  const g = {
    inChannels: layer.in_channels,
    outChannels: layer.out_channels,
    kernel: layer.kernel,
    stride: layer.stride,
    padding: layer.padding,
    inShape: layer.in_shape,
    outShape: layer.out_shape,
    transposed: layer.op === "conv_transpose",
  };
  const weight = gatherWeights(tensor(bin, layer.weight, `${where} weight`), g);
  const bias = tensor(bin, layer.bias, `${where} bias`);
  if (weight.length !== g.inChannels * g.outChannels * g.kernel ** 2 || bias.length !== g.outChannels)
    throw new Error(`${where}: weights of shape ${layer.weight.shape} and bias ${layer.bias.shape} do not fit the layer`);
  const last = new Float32Array(size(g.inShape));
  const out = new Float32Array(size(g.outShape));
  return (x) => {
    toChannelsLast(x, g.inShape, last);
    conv(last, weight, bias, g, out);
    return out;
  };
}

/**
 * The steps of a layer list, for an input of `shape` → the steps and the output's shape.
 * @param {Layer[]} layers
 * @param {number[]} shape
 * @param {DataView} bin
 * @param {string} where
 * @returns {{steps: Step[], shape: number[]}}
 */
function compile(layers, shape, bin, where) {
  /** @type {Step[]} */
  const steps = [];
  layers.forEach((layer, i) => {
    const at = `${where}[${i}] ${layer.op}`;
    const n = size(shape);
    if (layer.op === "linear") {
      const weight = tensor(bin, layer.weight, `${at} weight`);
      const bias = tensor(bin, layer.bias, `${at} bias`);
      if (n !== layer.in_features || weight.length !== n * layer.out_features || bias.length !== layer.out_features)
        throw new Error(`${at}: expects ${layer.in_features} inputs, gets ${n}`);
      const out = new Float32Array(layer.out_features);
      steps.push((x) => {
        linear(x, weight, bias, out);
        return out;
      });
      shape = [layer.out_features];
    } else if (layer.op === "conv" || layer.op === "conv_transpose") {
      if (size(layer.in_shape) !== n || layer.in_shape[0] !== layer.in_channels) throw new Error(`${at}: expects ${layer.in_shape}, gets ${shape}`);
      steps.push(convStep(layer, bin, at));
      shape = layer.out_shape;
    } else if (layer.op === "residual") {
      const body = compile(layer.layers, shape, bin, `${at}.layers`);
      if (size(body.shape) !== n) throw new Error(`${at}: its body changes the size ${n} → ${size(body.shape)}`);
      const sum = new Float32Array(n);
      steps.push((x) => {
        sum.set(x);
        const y = through(body.steps, Float32Array.from(x));
        for (let j = 0; j < n; j++) sum[j] += y[j];
        return sum;
      });
    } else {
      shape = plainStep(/** @type {PlainLayer} */ (layer), shape, steps, at);
    }
  });
  return { steps, shape };
}

/**
 * The weightless layers: activations in place, reshape, slice.
 * @param {PlainLayer} layer
 * @param {number[]} shape
 * @param {Step[]} steps
 * @param {string} at
 * @returns {number[]} the output's shape
 */
function plainStep(layer, shape, steps, at) {
  const kernels = { silu, relu, sigmoid };
  if (layer.op === "silu" || layer.op === "relu" || layer.op === "sigmoid") {
    const kernel = kernels[layer.op];
    steps.push((x) => {
      kernel(x);
      return x;
    });
    return shape;
  }
  if (layer.op === "reshape") {
    if (size(layer.shape) !== size(shape)) throw new Error(`${at}: cannot reshape ${shape} to ${layer.shape}`);
    return layer.shape;
  }
  if (layer.op === "slice") {
    const { start, size: n } = layer;
    if (start < 0 || start + n > size(shape)) throw new Error(`${at}: [${start}, ${start + n}) is outside ${size(shape)} values`);
    steps.push((x) => /** @type {Float32Array} */ (x.subarray(start, start + n)));
    return [n];
  }
  throw new Error(`${at}: an operation this engine does not know (${JSON.stringify(layer)})`);
}

/**
 * Refuse a spec that is not a net of this format, or that is stale.
 * @param {unknown} spec
 * @param {string} url
 * @param {NetOptions} options
 * @returns {NetSpec}
 */
export function checkSpec(spec, url, options) {
  const s = /** @type {NetSpec} */ (spec);
  if (!s || s.format !== FORMAT || s.version !== VERSION)
    throw new Error(`${url}: not a ${FORMAT} file of version ${VERSION} (vae/artifacts/browser_net.py writes them)`);
  if (s.dtype !== "float16") throw new Error(`${url}: weights of dtype ${s.dtype}; this engine reads float16`);
  if (s.part !== "decoder" && s.part !== "encoder") throw new Error(`${url}: unknown part ${s.part}`);
  if (options.weightsSha256 && s.weights_sha256 !== options.weightsSha256)
    throw new Error(
      `${url}: made from other weights (${s.weights_sha256.slice(0, 12)}) than the model's (${options.weightsSha256.slice(0, 12)}); write it again`,
    );
  return s;
}

/**
 * A net's JSON and its .bin (resolved relative to the JSON's URL), checked, compiled for the plain
 * JavaScript kernels.
 * @param {string} url the JSON's URL (absolute, or relative to the page)
 * @param {NetOptions} [options]
 * @returns {Promise<Net>}
 */
export async function loadNet(url, options = {}) {
  const read = options.fetch ?? ((u) => fetch(u));
  const base = typeof document === "object" ? document.baseURI : undefined;
  const jsonUrl = new URL(url, base).href;
  const response = await read(jsonUrl);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const spec = checkSpec(await response.json(), url, options);
  const binUrl = new URL(spec.bin, jsonUrl).href;
  const binResponse = await read(binUrl);
  if (!binResponse.ok) throw new Error(`${binUrl}: HTTP ${binResponse.status}`);
  const buffer = await binResponse.arrayBuffer();
  if (buffer.byteLength !== spec.bin_bytes) throw new Error(`${binUrl}: ${buffer.byteLength} bytes, the spec says ${spec.bin_bytes}: a stale or cut file`);
  return plainNet(spec, new DataView(buffer), url);
}

/**
 * The net on the plain JavaScript kernels.
 * @param {NetSpec} spec
 * @param {DataView} bin
 * @param {string} url
 * @returns {Net}
 */
export function plainNet(spec, bin, url) {
  const { steps, shape } = compile(spec.layers, spec.input_shape, bin, url);
  const outputSize = size(spec.output_shape);
  if (size(shape) !== outputSize) throw new Error(`${url}: the layers give ${shape}, the spec says ${spec.output_shape}`);
  const input = new Float32Array(spec.input_size);
  return {
    spec,
    inputSize: spec.input_size,
    outputShape: spec.output_shape,
    backend: "js",
    async run(x) {
      if (x.length !== spec.input_size) throw new Error(`${spec.model} ${spec.part}: input of ${x.length} values, expects ${spec.input_size}`);
      input.set(x);
      return Float32Array.from(through(steps, input));
    },
  };
}
