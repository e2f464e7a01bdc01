// @ts-check
// The browser's own decoder and encoder: a net written by vae/artifacts/browser_net.py (a JSON layer
// list and a .bin of float16 weights beside it) run by small kernels (plain.js: plain JavaScript;
// tfjs.js: tfjs-core's WebAssembly), instead of an ONNX graph and onnxruntime-web's 14 MB WebAssembly. loadNet(url) reads both files and checks them against each
// other; run(input) gives what the ONNX export gives: the decoder's pixel means (C, H, W) in [0, 1],
// the encoder's posterior mean μ.

import { size } from "./kernels.js";
import { plainNet } from "./plain.js";
import { loadTfjs, tfjsRun } from "./tfjs.js";

export const FORMAT = "vae-browser-net";
export const VERSION = 1;
/**
 * "auto" runs nets of more multiply-adds than this on tfjs's WebAssembly, the others on plain JavaScript.
 * Measured in Chromium (benchmarks/browser_decoder.py, logs/browser_decoder.txt): mnist-z16's decoder
 * (3.2 M) takes 7 ms in JavaScript and 0.7 ms in WebAssembly, 15 / 0.6 ms with the CPU 4× slower;
 * mnist-dense-z2's (0.1 M) 0.1 ms either way, so it saves the 250 KB (gzipped) of tfjs and its .wasm.
 */
export const WASM_ABOVE_MULTIPLY_ADDS = 1_000_000;

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
 * @property {(url: string) => Promise<any>} [importModule] how tfjs.mjs is imported (default: import())
 * @property {string} [weightsSha256] refuse a net made from other weights than these
 * @property {"js" | "wasm" | "auto"} [backend] which kernels run it: plain JavaScript (the default), tfjs's
 *   WebAssembly, or "auto": WebAssembly for nets of more than WASM_ABOVE_MULTIPLY_ADDS when a runtime is given
 * @property {string} [runtime] URL of the folder with tfjs.mjs and its .wasm (static/tfjs/)
 * @property {() => Promise<import("./tfjs.js").Tf>} [tfjs] tfjs-core on its wasm backend, ready (instead of runtime)
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
 * A file of float16 values (their bits, little-endian) as float32, exactly: the map's codes (.f16).
 * @param {ArrayBuffer} buffer
 */
export function fromHalves(buffer) {
  const view = new DataView(buffer);
  const out = new Float32Array(buffer.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  return out;
}

/** @typedef {(ref: TensorRef, what: string) => Float32Array} Weights a weight's float32 values, by its place in the .bin */

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
 * A net's JSON and its .bin (resolved relative to the JSON's URL), checked against each other (and
 * options.weightsSha256), ready to run on the kernels options.backend picks.
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
  const bin = new DataView(buffer);
  /** @type {Weights} */
  const weights = (ref, what) => tensor(bin, ref, what);
  if (chooseBackend(spec, options) === "js") return plainNet(spec, weights, url);
  const tf = await (options.tfjs ? options.tfjs() : loadTfjs(/** @type {string} */ (options.runtime), options.importModule));
  const run = tfjsRun(tf, spec, weights);
  const outputSize = size(spec.output_shape);
  return {
    spec,
    inputSize: spec.input_size,
    outputShape: spec.output_shape,
    backend: "wasm",
    async run(x) {
      if (x.length !== spec.input_size) throw new Error(`${spec.model} ${spec.part}: input of ${x.length} values, expects ${spec.input_size}`);
      const out = await run(x);
      if (out.length !== outputSize) throw new Error(`${spec.model} ${spec.part}: ${out.length} outputs, the spec says ${spec.output_shape}`);
      return out;
    },
  };
}

/**
 * The multiply-adds of one run of the layers (what the choice of kernels goes by).
 * @param {Layer[]} layers
 * @returns {number}
 */
export function multiplyAdds(layers) {
  let total = 0;
  for (const layer of layers) {
    if (layer.op === "linear") total += layer.in_features * layer.out_features;
    else if (layer.op === "conv") total += size(layer.out_shape) * layer.in_channels * layer.kernel ** 2;
    else if (layer.op === "conv_transpose") total += size(layer.in_shape) * layer.out_channels * layer.kernel ** 2;
    else if (layer.op === "residual") total += multiplyAdds(layer.layers);
  }
  return total;
}

/**
 * @param {NetSpec} spec
 * @param {NetOptions} options
 * @returns {"js" | "wasm"}
 */
function chooseBackend(spec, options) {
  const backend = options.backend ?? "js";
  if (backend === "auto") return (options.runtime || options.tfjs) && multiplyAdds(spec.layers) > WASM_ABOVE_MULTIPLY_ADDS ? "wasm" : "js";
  if (backend === "wasm" && !options.runtime && !options.tfjs) throw new Error("the wasm backend needs options.runtime (the URL of static/tfjs/)");
  if (backend !== "js" && backend !== "wasm") throw new Error(`unknown backend ${backend}: one of js, wasm, auto`);
  return backend;
}
