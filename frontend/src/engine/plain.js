// @ts-check
// The browser engine's plain JavaScript backend (net.js chooses it for the small nets): a net's layers
// compiled once into steps over preallocated float32 buffers, run by kernels.js. No download beyond
// the engine itself, and it runs in node for the tests.

import { conv, gatherWeights, linear, relu, sigmoid, silu, size, toChannelsLast } from "./kernels.js";

/** @typedef {import("./net.js").Layer} Layer */
/** @typedef {import("./net.js").ConvLayer} ConvLayer */
/** @typedef {import("./net.js").PlainLayer} PlainLayer */
/** @typedef {import("./net.js").NetSpec} NetSpec */
/** @typedef {import("./net.js").Net} Net */
/** @typedef {import("./net.js").Weights} Weights */

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
 * The plain JavaScript step of a convolution layer.
 * @param {ConvLayer} layer
 * @param {Weights} weights
 * @param {string} where
 * @returns {Step}
 */
function convStep(layer, weights, where) {
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
  const weight = gatherWeights(weights(layer.weight, `${where} weight`), g);
  const bias = weights(layer.bias, `${where} bias`);
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
 * @param {Weights} weights
 * @param {string} where
 * @returns {{steps: Step[], shape: number[]}}
 */
function compile(layers, shape, weights, where) {
  /** @type {Step[]} */
  const steps = [];
  layers.forEach((layer, i) => {
    const at = `${where}[${i}] ${layer.op}`;
    const n = size(shape);
    if (layer.op === "linear") {
      const weight = weights(layer.weight, `${at} weight`);
      const bias = weights(layer.bias, `${at} bias`);
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
      steps.push(convStep(layer, weights, at));
      shape = layer.out_shape;
    } else if (layer.op === "residual") {
      const body = compile(layer.layers, shape, weights, `${at}.layers`);
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
 * The net on the plain JavaScript kernels.
 * @param {NetSpec} spec
 * @param {Weights} weights
 * @param {string} url
 * @returns {Net}
 */
export function plainNet(spec, weights, url) {
  const { steps, shape } = compile(spec.layers, spec.input_shape, weights, url);
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
