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
 * @param {(url: string) => Promise<any>} [importModule] how tfjs.mjs is imported (a worker that reads files
 * through its page imports it from a blob: URL, engine/worker.js)
 * @returns {Promise<Tf>}
 */
export function loadTfjs(folder, importModule = (/** @type {string} */ url) => import(url)) {
  const base = new URL(folder.endsWith("/") ? folder : `${folder}/`, typeof document === "object" ? document.baseURI : undefined).href;
  let runtime = RUNTIMES.get(base);
  if (!runtime) {
    runtime = (async () => {
      if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available");
      /** @type {{tf: Tf, setWasmPaths: (prefix: string, usePlatformFetch: boolean) => void}} */
      const module = await importModule(`${base}tfjs.mjs`);
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

/** @typedef {"phases" | "grid"} TransposeMethod how a transposed convolution runs (tests force one; else transposeMethod) */

/**
 * The net as one function of tf ops; the weights become tf tensors once.
 * @param {Tf} tf
 * @param {NetSpec} spec
 * @param {Weights} weights
 * @param {TransposeMethod} [method] every transposed convolution's, for tests (default: transposeMethod's choice per layer)
 * @returns {(input: Float32Array) => Promise<Float32Array>}
 */
export function tfjsRun(tf, spec, weights, method) {
  /** @type {((v: Value) => Value)[]} */
  let ops = [];
  tf.tidy(() => {
    ops = compile(tf, spec.layers, weights, spec.model, method); // the weights' tensors are kept, their intermediates freed
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
 * @param {TransposeMethod} [method]
 * @returns {((v: Value) => Value)[]}
 */
function compile(tf, layers, weights, where, method) {
  return layers.map((layer, i) => {
    const at = `${where}[${i}] ${layer.op}`;
    if (layer.op === "linear") {
      const w = tf.keep(tf.transpose(tf.tensor2d(weights(layer.weight, `${at} weight`), [layer.out_features, layer.in_features])));
      const b = tf.keep(tf.tensor1d(weights(layer.bias, `${at} bias`)));
      return (v) => ({ tensor: tf.reshape(tf.add(tf.matMul(tf.reshape(toFlat(tf, v), [1, -1]), w), b), [-1]), image: false });
    }
    if (layer.op === "conv" || layer.op === "conv_transpose") return convOp(tf, layer, weights, at, method);
    if (layer.op === "residual") {
      const body = compile(tf, layer.layers, weights, `${at}.layers`, method);
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
 * @param {TransposeMethod} [method]
 * @returns {(v: Value) => Value}
 */
function convOp(tf, layer, weights, at, method) {
  const { in_channels: ci, out_channels: co, kernel: k, stride, padding } = layer;
  const raw = weights(layer.weight, `${at} weight`);
  const b = tf.keep(tf.tensor1d(weights(layer.bias, `${at} bias`)));
  const [, oh, ow] = layer.out_shape;
  if (layer.op === "conv") {
    const filter = tf.keep(tf.transpose(tf.tensor4d(raw, [co, ci, k, k]), [2, 3, 1, 0]));
    return (v) => ({ tensor: tf.add(tf.conv2d(/** @type {import("@tensorflow/tfjs-core").Tensor4D} */ (v.tensor), filter, stride, padding), b), image: true });
  }
  // transposed: tfjs-wasm's conv2dTranspose is a plain C++ loop, not XNNPACK (measured: 20 ms for
  // celeba-z64, no faster than plain JavaScript), and its gather is slower still; so it runs as XNNPACK
  // conv2d over the sub-pixel phases, either one per phase (perPhase: a concat and a transpose
  // interleave them) or one for all on a common grid (subPixel: the phases in its output channels, a
  // transpose interleaves them, a slice crops the grid); transposeMethod picks
  const phases = (method ?? transposeMethod(layer)) === "phases" ? perPhase(layer, raw) : null;
  if (phases) {
    const filters = phases.map((p) => tf.keep(tf.tensor4d(p.filter, [p.window, p.window, ci, co])));
    const n = [oh / stride, ow / stride];
    return (v) => {
      const x = /** @type {import("@tensorflow/tfjs-core").Tensor4D} */ (v.tensor);
      const outs = phases.map((p, i) => tf.fused.conv2d({ x, filter: filters[i], strides: 1, pad: [[0, 0], p.rows, p.cols, [0, 0]], bias: b }));
      const stacked = tf.concat(outs, 3); // (1, n_y, n_x, (r_y, r_x, c))
      const interleaved = tf.transpose(tf.reshape(stacked, [n[0], n[1], stride, stride, co]), [0, 2, 1, 3, 4]);
      return { tensor: tf.reshape(interleaved, [1, oh, ow, co]), image: true };
    };
  }
  const sub = subPixel(layer, raw);
  const [rows, cols] = sub.grid;
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
    const x = /** @type {import("@tensorflow/tfjs-core").Tensor4D} */ (v.tensor);
    const phases = tf.fused.conv2d({ x, filter, strides: 1, pad, bias });
    // (g_y, g_x, slot_y, slot_x, c) → (g_y, slot_y, g_x, slot_x, c): tfjs-wasm's depthToSpace is slower (3.4 ms against 0.2 ms on celeba-z64's 16 × 16 × 128)
    const interleaved = tf.transpose(tf.reshape(phases, [rows, cols, stride, stride, co]), [0, 2, 1, 3, 4]);
    if (sub.crop === 0 && rows * stride === oh && cols * stride === ow) return { tensor: tf.reshape(interleaved, [1, oh, ow, co]), image: true };
    // the crop as a 2-D slice (rows × row-major pixels): tfjs-wasm slices 4-D tensors one value at a time (0.31 ms for 64 × 64 × 3)
    const image = tf.reshape(interleaved, [rows * stride, cols * stride * co]);
    const cropped = tf.slice(image, [sub.crop, sub.crop * co], [oh, ow * co]);
    return { tensor: tf.reshape(cropped, [1, oh, ow, co]), image: true };
  };
}

/**
 * A transposed convolution's weights (C_in, C_out, k, k) as one stride-1 convolution's filter
 * (window, window, C_in, s²·C_out) over the input padded by `before` and `after` (rows, columns).
 *
 * Output pixel s·m + r (phase r < s, per axis) sums the taps t ≡ r + p (mod s) of input pixel
 * m + (r + p − t)/s: each phase reads its own window of offsets. The window of phase r starts at
 * offset lo_r; on a common grid, grid cell g reads input pixels g + base … g + base + window − 1
 * (base the smallest lo_r), so phase r of output m sits in cell m + d_r (d_r = lo_r − base).
 * Stored in the cell's channel slot r − s·d_r + crop, interleaving the cells' slots gives output
 * pixel s·m + r at s·g + slot = s·m + r + crop: the interleaved grid, less its first `crop` pixels,
 * is the output. For torch's usual (k 4, s 2, p 1) that is a 2 × 2 window with every tap used, where
 * one window over all offsets (the fallback, when the slots do not fit in s) is 3 × 3 and 5/9 zeros.
 * @param {import("./net.js").ConvLayer} layer
 * @param {Float32Array} weight
 */
export function subPixel(layer, weight) {
  const { in_channels: ci, out_channels: co, kernel: k, stride: s, padding: p } = layer;
  const [, h, w] = layer.in_shape;
  const [, oh, ow] = layer.out_shape;
  const offset = (/** @type {number} */ r, /** @type {number} */ t) => (r + p - t) / s; // an integer where (r + p − t) ≡ 0 mod s
  const taps = (/** @type {number} */ r) => [...Array(k).keys()].filter((t) => (((r + p - t) % s) + s) % s === 0);
  const phases = [...Array(s).keys()].map((r) => taps(r).map((t) => offset(r, t)));
  const used = phases.filter((o) => o.length > 0).flat();
  const base = Math.min(0, ...used);
  const high = Math.max(...used);
  const lows = phases.map((o) => (o.length ? Math.min(...o) : base));
  let window = Math.max(...phases.map((o, r) => (o.length ? Math.max(...o) - lows[r] + 1 : 1)));
  let starts = lows;
  let slots = lows.map((lo, r) => r - s * (lo - base));
  let crop = -Math.min(...slots);
  if (Math.max(...slots) + crop >= s) {
    window = high - base + 1; // one window over all offsets
    starts = lows.map(() => base);
    slots = lows.map((_, r) => r);
    crop = 0;
  }
  slots = slots.map((slot) => slot + crop);
  const filter = new Float32Array(window * window * ci * s * s * co);
  for (let ry = 0; ry < s; ry++)
    for (let rx = 0; rx < s; rx++)
      for (const ty of taps(ry))
        for (const tx of taps(rx)) {
          const wy = offset(ry, ty) - starts[ry];
          const wx = offset(rx, tx) - starts[rx];
          const channel = (slots[ry] * s + slots[rx]) * co;
          for (let i = 0; i < ci; i++)
            for (let o = 0; o < co; o++) filter[((wy * window + wx) * ci + i) * s * s * co + channel + o] = weight[((i * co + o) * k + ty) * k + tx];
        }
  /** @type {[number, number]} */
  const grid = [Math.ceil((crop + oh) / s), Math.ceil((crop + ow) / s)];
  /** @type {[number, number]} */
  const after = [Math.max(0, grid[0] - 1 + base + window - 1 - (h - 1)), Math.max(0, grid[1] - 1 + base + window - 1 - (w - 1))];
  return { filter, window, before: -base, after, grid, crop };
}

/**
 * One convolution per phase where the common grid would compute at least a million multiply-adds more
 * (its cells beyond the output: (G² − n²)·s²·C_out·C_in·window²), else one on the grid. Measured in node
 * (celeba-z64's decoder, 4 × 4 → 64 × 64): 3.1 ms on the grid, 2.9 ms per phase (its first layers
 * compute on 5 × 5 and 9 × 9 grids for 4 × 4 and 8 × 8 inputs); MNIST's decoders (7 → 28, fewer
 * channels) were slower per phase (0.8 against 0.6 ms): four ops and a concat cost more than they save.
 * @param {import("./net.js").ConvLayer} layer
 * @returns {TransposeMethod}
 */
export function transposeMethod(layer) {
  const { in_channels: ci, out_channels: co, stride: s, kernel: k } = layer;
  const [, oh] = layer.out_shape;
  const n = Math.ceil(oh / s);
  const window = Math.ceil(k / s);
  const extra = ((n + 1) ** 2 - n ** 2) * s * s * co * ci * window ** 2;
  return extra >= 1_000_000 ? "phases" : "grid";
}

/**
 * A transposed convolution as one stride-1 convolution per sub-pixel phase (r_y, r_x), each over its own
 * window of the input (padded, per side, so that its n = out/s outputs are the phase's); null where the
 * output's size is not a multiple of the stride or a phase's window starts inside the input.
 * @param {import("./net.js").ConvLayer} layer
 * @param {Float32Array} weight
 */
export function perPhase(layer, weight) {
  const { in_channels: ci, out_channels: co, kernel: k, stride: s, padding: p } = layer;
  const [, h] = layer.in_shape;
  const [, oh, ow] = layer.out_shape;
  if (oh % s || ow % s || oh !== ow || layer.in_shape[1] !== layer.in_shape[2]) return null;
  const n = oh / s;
  const taps = (/** @type {number} */ r) => [...Array(k).keys()].filter((t) => (((r + p - t) % s) + s) % s === 0);
  const offsets = [...Array(s).keys()].map((r) => taps(r).map((t) => (r + p - t) / s));
  if (offsets.some((o) => o.length === 0)) return null;
  const window = Math.max(...offsets.map((o) => Math.max(...o) - Math.min(...o) + 1));
  const lows = offsets.map((o) => Math.min(...o));
  /** @type {[number, number][]} */
  const pads = lows.map((lo) => [-lo, n - 1 + lo + window - 1 - (h - 1)]);
  if (pads.some(([before, after]) => before < 0 || after < 0)) return null;
  const out = [];
  for (let ry = 0; ry < s; ry++)
    for (let rx = 0; rx < s; rx++) {
      const filter = new Float32Array(window * window * ci * co);
      for (const ty of taps(ry))
        for (const tx of taps(rx)) {
          const wy = (ry + p - ty) / s - lows[ry];
          const wx = (rx + p - tx) / s - lows[rx];
          for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) filter[((wy * window + wx) * ci + i) * co + o] = weight[((i * co + o) * k + ty) * k + tx];
        }
      out.push({ filter, window, rows: pads[ry], cols: pads[rx] });
    }
  return out;
}
