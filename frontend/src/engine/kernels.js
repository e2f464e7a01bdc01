// @ts-check
// The plain JavaScript kernels of the browser engine (net.js): dense layers, convolutions and
// transposed convolutions of the small VAE nets, with no runtime to download. Pure functions on typed
// arrays, so node --test runs them as the page does.
//
// A convolution gathers: each output pixel is its bias plus, for each kernel tap that lands on an
// input pixel, a dot product over the input channels. The input is laid out (H, W, C) first and the
// weights (k, k, C_out, C_in) at load time, so that dot product runs over contiguous memory; the
// sums are in float64 (JavaScript numbers), each output rounded once to float32.

/**
 * The geometry of one (transposed) convolution.
 * @typedef {object} ConvShape
 * @property {number} inChannels
 * @property {number} outChannels
 * @property {number} kernel
 * @property {number} stride
 * @property {number} padding
 * @property {[number, number, number]} inShape (C, H, W)
 * @property {[number, number, number]} outShape (C, H, W)
 * @property {boolean} transposed
 */

/**
 * The number of values of a shape.
 * @param {number[]} shape
 */
export const size = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * out = W x + b, W (out, in) row-major.
 * @param {Float32Array} x
 * @param {Float32Array} weight
 * @param {Float32Array} bias
 * @param {Float32Array} out
 */
export function linear(x, weight, bias, out) {
  const n = x.length;
  for (let o = 0; o < out.length; o++) {
    out[o] = bias[o] + dot(x, 0, weight, o * n, n);
  }
}

/**
 * Σ a[i + j] b[k + j] over j < n, four at a time.
 * @param {Float32Array} a
 * @param {number} i
 * @param {Float32Array} b
 * @param {number} k
 * @param {number} n
 */
function dot(a, i, b, k, n) {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[i + j] * b[k + j];
    s1 += a[i + j + 1] * b[k + j + 1];
    s2 += a[i + j + 2] * b[k + j + 2];
    s3 += a[i + j + 3] * b[k + j + 3];
  }
  for (; j < n; j++) s0 += a[i + j] * b[k + j];
  return s0 + s1 + s2 + s3;
}

/** @param {Float32Array} x */
export function silu(x) {
  for (let i = 0; i < x.length; i++) x[i] = x[i] / (1 + Math.exp(-x[i]));
}

/** @param {Float32Array} x */
export function relu(x) {
  for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0;
}

/** @param {Float32Array} x */
export function sigmoid(x) {
  for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
}

/**
 * A torch weight ((C_out, C_in, k, k) for a convolution, (C_in, C_out, k, k) for a transposed one) in
 * the gather layout (k, k, C_out, C_in).
 * @param {Float32Array} weight
 * @param {ConvShape} g
 */
export function gatherWeights(weight, g) {
  const { inChannels: ci, outChannels: co, kernel: k } = g;
  const out = new Float32Array(weight.length);
  for (let i = 0; i < ci; i++)
    for (let o = 0; o < co; o++)
      for (let t = 0; t < k * k; t++) {
        const from = g.transposed ? (i * co + o) * k * k + t : (o * ci + i) * k * k + t;
        out[(t * co + o) * ci + i] = weight[from];
      }
  return out;
}

/**
 * (C, H, W) → (H, W, C).
 * @param {Float32Array} x
 * @param {[number, number, number]} shape
 * @param {Float32Array} out
 */
export function toChannelsLast(x, shape, out) {
  const [c, h, w] = shape;
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    const base = ch * plane;
    for (let p = 0; p < plane; p++) out[p * c + ch] = x[base + p];
  }
}

/**
 * The input pixel (along one axis) a kernel tap reads for output position o, or -1 when it reads the
 * padding (convolution) or no input pixel lands there (transposed convolution: o + p − t must be a
 * multiple of the stride).
 * @param {number} o
 * @param {number} t
 * @param {number} size the input's size along that axis
 * @param {ConvShape} g
 */
function source(o, t, size, g) {
  if (!g.transposed) {
    const i = o * g.stride - g.padding + t;
    return i >= 0 && i < size ? i : -1;
  }
  const u = o + g.padding - t;
  if (u < 0 || u % g.stride !== 0) return -1;
  const i = u / g.stride;
  return i < size ? i : -1;
}

/**
 * A convolution or transposed convolution (by g.transposed): input (H, W, C_in) channels-last, weights
 * from gatherWeights, output (C_out, H', W').
 * @param {Float32Array} xLast
 * @param {Float32Array} weight
 * @param {Float32Array} bias
 * @param {ConvShape} g
 * @param {Float32Array} out
 */
export function conv(xLast, weight, bias, g, out) {
  const { inChannels: ci, outChannels: co, kernel: k } = g;
  const [, h, w] = g.inShape;
  const [, oh, ow] = g.outShape;
  const plane = oh * ow;
  const taps = new Int32Array(2 * k * k); // (input offset, weight offset) of each tap that lands
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let n = 0;
      for (let ty = 0; ty < k; ty++) {
        const iy = source(oy, ty, h, g);
        if (iy < 0) continue;
        for (let tx = 0; tx < k; tx++) {
          const ix = source(ox, tx, w, g);
          if (ix < 0) continue;
          taps[2 * n] = (iy * w + ix) * ci;
          taps[2 * n + 1] = (ty * k + tx) * co * ci;
          n++;
        }
      }
      const pixel = oy * ow + ox;
      for (let o = 0; o < co; o++) {
        let s = bias[o];
        for (let t = 0; t < n; t++) s += dot(xLast, taps[2 * t], weight, taps[2 * t + 1] + o * ci, ci);
        out[o * plane + pixel] = s;
      }
    }
  }
}
