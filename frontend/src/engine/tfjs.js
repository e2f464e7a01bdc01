// @ts-check
// The browser engine's second backend: the same net (net.js's spec and weights) run by
// @tensorflow/tfjs-core on its WebAssembly backend (XNNPACK, SIMD), for the nets where plain
// JavaScript is too slow (CelebA's decoders: about 27 M multiply-adds). tfjs is not in the page's
// bundle: scripts/install_runtime.sh bundles tfjs_entry.js into static/tfjs/ beside its .wasm, and
// loadTfjs imports it from there when a net first asks for it.
//
// Layout: the spec's reshapes and slices are in (C, H, W) order, tfjs's convolutions want (1, H, W, C);
// an activation is kept flat until a reshape makes it an image, then channels-last until a reshape
// flattens it or the net ends (then it is transposed back to (C, H, W)).

/** @typedef {typeof import("@tensorflow/tfjs-core")} Tf */
/** @typedef {import("@tensorflow/tfjs-core").Tensor} Tensor */
/** @typedef {import("./net.js").Layer} Layer */
/** @typedef {import("./net.js").NetSpec} NetSpec */
/** @typedef {import("./net.js").Weights} Weights */

/** @type {Map<string, Promise<Tf>>} */
const RUNTIMES = new Map();

/**
 * tfjs-core with its WebAssembly backend ready, from a folder that holds install_runtime.sh's
 * tfjs.mjs and tfjs-backend-wasm*.wasm; loaded once per folder.
 * @param {string} folder its URL
 * @returns {Promise<Tf>}
 */
export function loadTfjs(folder) {
  const base = new URL(folder.endsWith("/") ? folder : `${folder}/`, typeof document === "object" ? document.baseURI : undefined).href;
  let runtime = RUNTIMES.get(base);
  if (!runtime) {
    runtime = (async () => {
      if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available");
      /** @type {{tf: Tf, setWasmPaths: (prefix: string, usePlatformFetch: boolean) => void}} */
      const module = await import(`${base}tfjs.mjs`);
      module.setWasmPaths(base, true); // fetched and instantiated from bytes: a server may send .wasm as text/plain (Streamlit does)
      return ready(module.tf);
    })();
    RUNTIMES.set(base, runtime);
  }
  return runtime;
}

/**
 * tf on its wasm backend (the backend's module must have been imported: it registers itself).
 * @param {Tf} tf
 */
export async function ready(tf) {
  if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the WebAssembly backend did not start");
  await tf.ready();
  return tf;
}

/**
 * An activation and its layout.
 * @typedef {object} Value
 * @property {Tensor} tensor flat (n) in (C, H, W) order, or (1, H, W, C)
 * @property {boolean} image channels-last
 */

/**
 * The net as one function of tf ops; the weights become tf tensors once.
 * @param {Tf} tf
 * @param {NetSpec} spec
 * @param {Weights} weights
 * @returns {(input: Float32Array) => Promise<Float32Array>}
 */
export function tfjsRun(tf, spec, weights) {
  /** @type {((v: Value) => Value)[]} */
  let ops = [];
  tf.tidy(() => {
    ops = compile(tf, spec.layers, weights, spec.model); // the weights' tensors are kept, their intermediates freed
  });
  const flat = [...spec.output_shape].reduce((a, b) => a * b, 1);
  const [first] = compile(tf, [{ op: "reshape", shape: spec.input_shape }], weights, spec.model); // an image input is made channels-last
  return async (input) => {
    const out = tf.tidy(() => {
      /** @type {Value} */
      let v = first({ tensor: tf.tensor1d(input), image: false });
      for (const op of ops) v = op(v);
      return tf.reshape(toFlat(tf, v), [flat]);
    });
    const values = /** @type {Float32Array} */ (await out.data());
    out.dispose();
    return values;
  };
}

/**
 * @param {Tf} tf
 * @param {Value} v
 * @returns {Tensor} flat, in (C, H, W) order
 */
function toFlat(tf, v) {
  if (!v.image) return v.tensor;
  return tf.reshape(tf.transpose(v.tensor, [0, 3, 1, 2]), [-1]);
}

/**
 * @param {Tf} tf
 * @param {Layer[]} layers
 * @param {Weights} weights
 * @param {string} where
 * @returns {((v: Value) => Value)[]}
 */
function compile(tf, layers, weights, where) {
  return layers.map((layer, i) => {
    const at = `${where}[${i}] ${layer.op}`;
    if (layer.op === "linear") {
      const w = tf.keep(tf.transpose(tf.tensor2d(weights(layer.weight, `${at} weight`), [layer.out_features, layer.in_features])));
      const b = tf.keep(tf.tensor1d(weights(layer.bias, `${at} bias`)));
      return (v) => ({ tensor: tf.reshape(tf.add(tf.matMul(tf.reshape(toFlat(tf, v), [1, -1]), w), b), [-1]), image: false });
    }
    if (layer.op === "conv" || layer.op === "conv_transpose") return convOp(tf, layer, weights, at);
    if (layer.op === "residual") {
      const body = compile(tf, layer.layers, weights, `${at}.layers`);
      return (v) => {
        let y = v;
        for (const op of body) y = op(y);
        return { tensor: tf.add(v.tensor, y.tensor), image: v.image };
      };
    }
    if (layer.op === "silu") return (v) => ({ tensor: tf.mul(v.tensor, tf.sigmoid(v.tensor)), image: v.image });
    if (layer.op === "relu") return (v) => ({ tensor: tf.relu(v.tensor), image: v.image });
    if (layer.op === "sigmoid") return (v) => ({ tensor: tf.sigmoid(v.tensor), image: v.image });
    if (layer.op === "reshape") {
      const shape = layer.shape;
      if (shape.length === 3) return (v) => ({ tensor: tf.transpose(tf.reshape(toFlat(tf, v), [1, shape[0], shape[1], shape[2]]), [0, 2, 3, 1]), image: true });
      return (v) => ({ tensor: toFlat(tf, v), image: false });
    }
    if (layer.op === "slice") {
      const { start, size } = layer;
      return (v) => ({ tensor: tf.slice(toFlat(tf, v), [start], [size]), image: false });
    }
    throw new Error(`${at}: an operation this engine does not know`);
  });
}

/**
 * A (transposed) convolution on channels-last images: torch's weights in tfjs's filter layout
 * (k, k, C_in, C_out) for conv2d and (k, k, C_out, C_in) for conv2dTranspose, torch's padding.
 * @param {Tf} tf
 * @param {import("./net.js").ConvLayer} layer
 * @param {Weights} weights
 * @param {string} at
 * @returns {(v: Value) => Value}
 */
function convOp(tf, layer, weights, at) {
  const { in_channels: ci, out_channels: co, kernel: k, stride, padding } = layer;
  const raw = weights(layer.weight, `${at} weight`);
  const b = tf.keep(tf.tensor1d(weights(layer.bias, `${at} bias`)));
  const [, oh, ow] = layer.out_shape;
  if (layer.op === "conv") {
    const filter = tf.keep(tf.transpose(tf.tensor4d(raw, [co, ci, k, k]), [2, 3, 1, 0]));
    return (v) => ({ tensor: tf.add(tf.conv2d(/** @type {import("@tensorflow/tfjs-core").Tensor4D} */ (v.tensor), filter, stride, padding), b), image: true });
  }
  // transposed: tfjs-wasm's conv2dTranspose is a plain C++ loop, not XNNPACK (measured: 20 ms for
  // celeba-z64, no faster than plain JavaScript), and its gather is slower still; so it is one XNNPACK
  // conv2d: output pixel s·m + r (r < s, per axis) sums the taps t ≡ r + p (mod s) at input pixel
  // m + (r + p − t)/s, a correlation over a window of offsets common to all phases; each phase's taps
  // go in the output channels (r_y·s + r_x)·C_out + c, zeros where a phase has no tap, and a transpose
  // interleaves the phases (a transpose, then a crop when the output's size is not a multiple of s)
  const sub = subPixel(layer, raw);
  const rows = Math.ceil(oh / stride);
  const cols = Math.ceil(ow / stride);
  const filter = tf.keep(tf.tensor4d(sub.filter, [sub.window, sub.window, ci, stride * stride * co]));
  const bias = tf.keep(tf.tile(b, [stride * stride]));
  /** @type {[[number, number], [number, number], [number, number], [number, number]]} */
  const pad = [
    [0, 0],
    [sub.before, sub.after[0]],
    [sub.before, sub.after[1]],
    [0, 0],
  ];
  return (v) => {
    const phases = tf.add(tf.conv2d(/** @type {import("@tensorflow/tfjs-core").Tensor4D} */ (v.tensor), filter, 1, pad), bias);
    // (m_y, m_x, r_y, r_x, c) → (m_y, r_y, m_x, r_x, c): tfjs-wasm's depthToSpace is slower (3.4 ms against 0.2 ms on celeba-z64's 16 × 16 × 128)
    const interleaved = tf.transpose(tf.reshape(phases, [rows, cols, stride, stride, co]), [0, 2, 1, 3, 4]);
    const image = tf.reshape(interleaved, [1, rows * stride, cols * stride, co]);
    const cropped = image.shape[1] === oh && image.shape[2] === ow ? image : tf.slice(image, [0, 0, 0, 0], [1, oh, ow, co]);
    return { tensor: cropped, image: true };
  };
}

/**
 * A transposed convolution's weights (C_in, C_out, k, k) as one stride-1 convolution's filter
 * (window, window, C_in, s²·C_out) over the input padded by `before` and `after` (rows, columns).
 * @param {import("./net.js").ConvLayer} layer
 * @param {Float32Array} weight
 */
export function subPixel(layer, weight) {
  const { in_channels: ci, out_channels: co, kernel: k, stride: s, padding: p } = layer;
  const [, h, w] = layer.in_shape;
  const [, oh, ow] = layer.out_shape;
  const offset = (/** @type {number} */ r, /** @type {number} */ t) => (r + p - t) / s; // an integer where (r + p − t) ≡ 0 mod s
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < s; r++)
    for (let t = 0; t < k; t++)
      if ((((r + p - t) % s) + s) % s === 0) {
        low = Math.min(low, offset(r, t));
        high = Math.max(high, offset(r, t));
      }
  const window = high - low + 1;
  const filter = new Float32Array(window * window * ci * s * s * co);
  for (let ry = 0; ry < s; ry++)
    for (let rx = 0; rx < s; rx++)
      for (let ty = 0; ty < k; ty++)
        for (let tx = 0; tx < k; tx++) {
          if ((((ry + p - ty) % s) + s) % s !== 0 || (((rx + p - tx) % s) + s) % s !== 0) continue;
          const wy = offset(ry, ty) - low;
          const wx = offset(rx, tx) - low;
          for (let i = 0; i < ci; i++)
            for (let o = 0; o < co; o++) filter[((wy * window + wx) * ci + i) * s * s * co + (ry * s + rx) * co + o] = weight[((i * co + o) * k + ty) * k + tx];
        }
  const rows = Math.ceil(oh / s);
  const cols = Math.ceil(ow / s);
  /** @type {[number, number]} */
  const after = [Math.max(0, rows - 1 + high - (h - 1)), Math.max(0, cols - 1 + high - (w - 1))];
  return { filter, window, before: Math.max(0, -low), after };
}
