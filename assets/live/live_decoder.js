// Live decoding in the browser (onnxruntime-web, WebAssembly, one thread).
//
// Mounted by ui/components/live.py as a Streamlit v2 component with no HTML of its own. While one of the page's
// latent sliders (Streamlit st.slider widgets, named in data.sliders or data.directions) is dragged, it reads their
// values from the page on every animation frame, decodes that code with the model's ONNX decoder
// and draws the picture over the server's decoded image (the element .st-key-<data.target>).
// Streamlit sends a slider's value to the server on release only, so a drag costs the server
// nothing; the release reruns the page as before and the server's picture, the same up to 2/255 per
// pixel, replaces the live one. Until the runtime is ready, or where WebAssembly is unavailable, the
// server path is all there is (window.__vaeLive.status says which).
//
// A v2 component's module runs again on every rerun: the runtime and the decoder sessions are
// created once per page (window.__vaeLive) and each run's observers and frame loop are torn down by
// the cleanup function returned below.

const LIVE = (window.__vaeLive ??= {
  ort: null,
  sessions: new Map(),
  status: "loading",
  error: null,
  frames: 0, // pictures drawn in the browser since the page loaded (read by the browser tests)
  decodeMs: [],
});

// URLs from Python are paths on this server; the module itself may run from a blob: URL, so resolve
// them against the page.
const absolute = (path) => new URL(path, document.baseURI).href;

function loadRuntime(path) {
  const base = absolute(path);
  if (!LIVE.ort) {
    LIVE.ort = (async () => {
      if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available");
      const ort = await import(`${base}/ort.wasm.min.mjs`);
      ort.env.wasm.numThreads = 1; // Streamlit's page is not cross-origin isolated: no threads
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmPaths = { mjs: `${base}/ort-wasm-simd-threaded.mjs` };
      // The 14 MB binary ships gzipped (3.7 MB) and is inflated here, so the server never compresses it.
      const response = await fetch(`${base}/ort-wasm-simd-threaded.wasm.gz`);
      if (!response.ok) throw new Error(`ort wasm: HTTP ${response.status}`);
      const inflated = response.body.pipeThrough(new DecompressionStream("gzip"));
      ort.env.wasm.wasmBinary = await new Response(inflated).arrayBuffer();
      return ort;
    })();
  }
  return LIVE.ort;
}

function decoderSession(ort, url) {
  if (!LIVE.sessions.has(url)) {
    LIVE.sessions.set(url, ort.InferenceSession.create(absolute(url), { executionProviders: ["wasm"], graphOptimizationLevel: "all" }));
  }
  return LIVE.sessions.get(url);
}

// (1, C, H, W) floats in [0, 1] → RGBA pixels, rounded as the server does (vae.core.latent.to_uint8).
function toImageData(pixels, channels, height, width) {
  const out = new ImageData(width, height);
  const plane = height * width;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[(channels === 1 ? 0 : c) * plane + i];
      out.data[4 * i + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    out.data[4 * i + 3] = 255;
  }
  return out;
}

// The point a fraction t of the way from a to b: vae.core.latent.path_at, the same maths.
function pathAt(a, b, t, method) {
  const n = a.length;
  const out = new Float64Array(n);
  if (method === "slerp") {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < n; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    na = Math.sqrt(na); nb = Math.sqrt(nb);
    if (na >= 1e-8 && nb >= 1e-8) {
      const omega = Math.acos(Math.min(1, Math.max(-1, dot / (na * nb))));
      if (Math.sin(omega) >= 1e-6) {
        if (t === 0) return a;
        if (t === 1) return b;
        const s0 = Math.sin((1 - t) * omega) / Math.sin(omega), s1 = Math.sin(t * omega) / Math.sin(omega);
        for (let i = 0; i < n; i++) out[i] = s0 * a[i] + s1 * b[i];
        return out;
      }
    }
  }
  for (let i = 0; i < n; i++) out[i] = (1 - t) * a[i] + t * b[i];
  return out;
}

// For tests and benchmarks: decode codes ([[...], ...]) with a decoder URL, one at a time as the
// page does; returns the uint8 RGB(A) pixels of each, rounded as drawn.
LIVE.decodeCodes = async (url, codes, shape) => {
  const ort = await LIVE.ort;
  const session = await decoderSession(ort, url);
  const [channels, height, width] = shape;
  const out = [];
  for (const c of codes) {
    const result = await session.run({ z: new ort.Tensor("float32", Float32Array.from(c), [1, c.length]) });
    out.push(Array.from(toImageData(result.x.data, channels, height, width).data));
  }
  return out;
};

// Streamlit 1.67's slider (react-aria) keeps a hidden <input type="range"> in step with the thumb
// while it is dragged; the value reaches Python on release only.
// What a drawn picture leaves for tests and benchmarks: its count, decode time, code and pixels.
function record(t0, code, image) {
  LIVE.frames += 1;
  LIVE.decodeMs.push(performance.now() - t0);
  if (LIVE.decodeMs.length > 500) LIVE.decodeMs.shift();
  LIVE.lastCode = Array.from(code);
  LIVE.lastPixels = image.data;
}

// One animation frame requested at a time, and only while there is something new to draw: an idle
// page runs no loop. next() asks for a frame that runs `step`; cancel() drops the pending one.
function frames(step) {
  let id = 0;
  return {
    next() { if (!id) id = requestAnimationFrame(() => { id = 0; step(); }); },
    cancel() { cancelAnimationFrame(id); id = 0; },
  };
}

// A v2 component's module runs again on every rerun, and Streamlit 1.67 does not call the previous
// run's cleanup first (seen: listeners and frame loops piled up, one more per rerun). only() stops
// the previous run of the same use before this one starts, and returns this run's cleanup.
function only(use, stop) {
  const running = (LIVE.running ??= new Map());
  const previous = running.get(use);
  if (previous && previous !== stop) previous();
  running.set(use, stop);
  return stop;
}

function sliderValue(key) {
  const input = document.querySelector(`.st-key-${key} input[type="range"]`);
  const value = input ? parseFloat(input.value) : NaN;
  return Number.isFinite(value) ? value : null;
}

export default function (component) {
  const { data } = component;
  if (!data || !data.decoder) return;
  if (data.map) return latentMap(component); // latent_map.js
  if (data.draw) return liveDrawing(component);
  const [channels, height, width] = data.image_shape;
  // The code drawn is data.code, with each latent slider's value in its dimension
  // (data.sliders: [[widget key, dimension], ...]), plus value × vector for each direction slider
  // (data.directions: [[widget key, vector], ...]: the face editor's attribute directions).
  const base = Float32Array.from(data.code);
  const code = Float32Array.from(data.code);
  const sliders = data.sliders || [];
  const directions = (data.directions || []).map(([key, v]) => [key, Float32Array.from(v)]);
  // data.path: [widget key, a, b, method]: the slider is a fraction t of the way from a to b.
  const path = data.path ? [data.path[0], Float64Array.from(data.path[1]), Float64Array.from(data.path[2]), data.path[3]] : null;
  const keys = [...sliders, ...directions, ...(path ? [path] : [])];
  let session = null;
  let busy = false;
  let dirty = false;
  let overlay = null;
  let stopped = false;

  const small = document.createElement("canvas");
  small.width = width;
  small.height = height;

  function target() {
    return document.querySelector(`.st-key-${data.target} img`);
  }

  function showOverlay(image) {
    const img = target();
    if (!img) return;
    const holder = img.parentElement;
    if (!overlay || !overlay.isConnected || overlay.parentElement !== holder) {
      overlay = document.createElement("canvas");
      overlay.className = "vae-live-overlay";
      overlay.dataset.live = data.model;
      holder.style.position = "relative";
      Object.assign(overlay.style, { position: "absolute", left: `${img.offsetLeft}px`, top: `${img.offsetTop}px`, imageRendering: "pixelated", pointerEvents: "none" });
      holder.appendChild(overlay);
      const source = img.currentSrc;
      // the server's next picture (after a release) takes over again
      const watcher = new MutationObserver(() => {
        if (img.currentSrc !== source && overlay) overlay.style.display = "none";
      });
      watcher.observe(img, { attributes: true, attributeFilter: ["src"] });
    }
    overlay.width = img.clientWidth;
    overlay.height = img.clientHeight;
    overlay.style.width = `${img.clientWidth}px`;
    overlay.style.height = `${img.clientHeight}px`;
    overlay.style.display = "block";
    small.getContext("2d").putImageData(image, 0, 0);
    const ctx = overlay.getContext("2d");
    ctx.imageSmoothingEnabled = false; // nearest neighbour, as the server enlarges (widgets.enlarge)
    ctx.drawImage(small, 0, 0, overlay.width, overlay.height);
  }

  async function decode() {
    busy = true;
    dirty = false;
    code.set(base);
    for (const [key, d] of sliders) {
      const v = sliderValue(key);
      if (v !== null) code[d] = v;
    }
    for (const [key, vector] of directions) {
      const v = sliderValue(key);
      if (v) for (let i = 0; i < code.length; i++) code[i] += v * vector[i];
    }
    if (path) {
      const t = sliderValue(path[0]);
      if (t !== null) code.set(pathAt(path[1], path[2], t, path[3]));
    }
    const t0 = performance.now();
    const z = new LIVE_ORT.Tensor("float32", code.slice(), [1, code.length]);
    const result = await session.run({ z });
    const pixels = result.x.data;
    const image = toImageData(pixels, channels, height, width);
    showOverlay(image);
    record(t0, code, image);
    busy = false;
  }

  let LIVE_ORT = null;
  const loop = frames(() => {
    if (stopped || !dirty || !session) return;
    if (busy) return loop.next();
    decode()
      .catch((e) => { LIVE.error = String(e); busy = false; })
      .finally(() => { if (dirty) loop.next(); });
  });

  const watched = keys.map(([key]) => `.st-key-${key}`).join(",");
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.target.closest && m.target.closest(watched)) {
        dirty = true;
        loop.next();
        return;
      }
    }
  });

  loadRuntime(data.runtime)
    .then(async (ort) => {
      LIVE_ORT = ort;
      session = await decoderSession(ort, data.decoder);
      if (stopped) return;
      LIVE.status = "ready";
      LIVE.model = data.model;
      // one observer for the whole page: sliders inside an expander or a fragment rerun are caught too
      observer.observe(document.body, { attributes: true, subtree: true, attributeFilter: ["aria-valuetext", "value"] });
    })
    .catch((e) => {
      LIVE.status = "server"; // the server path keeps working
      LIVE.error = String(e);
    });

  return only(`sliders:${data.target}`, () => {
    stopped = true;
    loop.cancel();
    observer.disconnect();
  });
}


// ---- arrays the map and the drawing fetch once per page ------------------------------------------
const arrays = new Map(); // url -> Promise<typed array>, fetched once per page
function fetchArray(url, Type) {
  if (!arrays.has(url)) {
    arrays.set(url, fetch(absolute(url)).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then((b) => new Type(b)));
  }
  return arrays.get(url);
}
const floats = (url) => fetchArray(url, Float32Array); // little-endian float32 files (ui/components/live.py)
const bytes = (url) => fetchArray(url, Uint8Array);

function nearest(points, dim, query, k) {
  // indices and distances of the k rows of `points` (N, dim) nearest to `query`, nearest first.
  // The tie rule of vae.core.latent.nearest_codes: d2 summed over j in order in a JS number (float64), and
  // points at equal d2 in index order (strict < below, and a stable sort), lowest index first.
  const n = points.length / dim;
  const best = [];
  for (let i = 0; i < n; i++) {
    let d2 = 0;
    for (let j = 0; j < dim; j++) {
      const diff = points[i * dim + j] - query[j];
      d2 += diff * diff;
    }
    if (best.length < k || d2 < best[best.length - 1][1]) {
      best.push([i, d2]);
      best.sort((p, q) => p[1] - q[1]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([i, d2]) => [i, Math.sqrt(d2)]);
}

// ---- your own input: the drawn digit encoded after each stroke ----------------------------------
// A port of vae.data.inputs.canvas_to_digit / prepare_digit (box to 20 px, the crispest registration of
// 5 spans × 10 × 10 sub-pixel phases, centre of mass to (14, 14), crisp strokes), the encoder in
// ONNX, and vae.analysis.placement.place (raw: μ; PCA: the exact transform; t-SNE: the inverse-distance mean
// of the 10 nearest test codes' map positions). The server, answering the same stroke, replaces it.
const GRID_SPANS = [0.0, -0.25, 0.25, 0.5, 0.75], GRID_PHASES = 10, DIGIT_BOX = 20, DIGIT_SIDE = 28;
const MNIST_CORE = 0.984, BOX_THRESHOLD = 0.3, MIN_CONTRAST = 16.0;

const roundHalfEven = (x) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

function percentile(values, q) {
  // numpy's default (linear) percentile
  const v = Float64Array.from(values).sort();
  const pos = (q / 100) * (v.length - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, v.length - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

function prepareDigit(rgba, w, h) {
  const grey = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const g = ((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3) * (rgba[4 * i + 3] / 255);
    grey[i] = roundHalfEven(g); // the server rounds to uint8 first
  }
  let max = 0;
  for (const g of grey) max = Math.max(max, g);
  if (max < 0.15 * 255) return null; // an empty canvas
  const p5 = percentile(grey, 5);
  let contrast = 0;
  for (const g of grey) contrast = Math.max(contrast, g - p5);
  if (contrast < MIN_CONTRAST) return null;
  const ink = grey.map((g) => Math.min(1, Math.max(0, (g - p5) / contrast)));
  const digit = fitDigit(ink, w, h);
  return digit.map((v) => roundHalfEven(v * 255));
}

function fitDigit(ink, w, h) {
  let top = h, bottom = -1, left = w, right = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (ink[y * w + x] >= BOX_THRESHOLD) { top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x); }
  }
  bottom += 1; right += 1;
  const span = Math.max(bottom - top, right - left);
  const margin = Math.ceil((3 * span) / DIGIT_BOX);
  const y0 = Math.max(top - margin, 0), x0 = Math.max(left - margin, 0);
  const y1 = Math.min(bottom + margin, h), x1 = Math.min(right + margin, w);
  const cw = x1 - x0, ch = y1 - y0;
  const crop = new Float64Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) crop[y * cw + x] = ink[(y + y0) * w + x + x0];
  const { grid, exact, n } = register(crop, cw, ch, span, [(top + bottom) / 2 - y0, (left + right) / 2 - x0]);
  let total = 0, sy = 0, sx = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { const g = grid[i * n + j]; total += g; sy += i * g; sx += j * g; }
  const dy = roundHalfEven(14 - sy / total), dx = roundHalfEven(14 - sx / total);
  let digit = new Float64Array(DIGIT_SIDE * DIGIT_SIDE);
  for (let i = 0; i < DIGIT_SIDE; i++) for (let j = 0; j < DIGIT_SIDE; j++) {
    const gi = i - dy, gj = j - dx;
    if (gi >= 0 && gi < n && gj >= 0 && gj < n) digit[i * DIGIT_SIDE + j] = grid[gi * n + gj];
  }
  return exact ? digit : crispStrokes(digit);
}

function register(ink, w, h, span, centre, n = 25) {
  const W = w + 1;
  const integral = new Float64Array((h + 1) * W);
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += ink[y * w + x];
      integral[(y + 1) * W + x + 1] = integral[y * W + x + 1] + row;
    }
  }
  const at = (yy, xx) => {
    const ys = Math.min(Math.max(yy, 0), h), xs = Math.min(Math.max(xx, 0), w);
    const iy = Math.min(Math.floor(ys), h - 1), ix = Math.min(Math.floor(xs), w - 1);
    const fy = ys - iy, fx = xs - ix;
    return integral[iy * W + ix] * (1 - fy) * (1 - fx) + integral[(iy + 1) * W + ix] * fy * (1 - fx)
      + integral[iy * W + ix + 1] * (1 - fy) * fx + integral[(iy + 1) * W + ix + 1] * fy * fx;
  };
  let best = null, bestScore = -1, exact = false;
  const m = n + 1;
  for (const extra of GRID_SPANS) {
    const cell = span / (DIGIT_BOX + extra);
    const ys = new Float64Array(GRID_PHASES * m), xs = new Float64Array(GRID_PHASES * m);
    for (let p = 0; p < GRID_PHASES; p++) for (let k = 0; k < m; k++) {
      const edge = cell * (k - n / 2);
      ys[p * m + k] = centre[0] - cell * (p / GRID_PHASES) + edge;
      xs[p * m + k] = centre[1] - cell * (p / GRID_PHASES) + edge;
    }
    const corners = new Float64Array(ys.length * xs.length);
    for (let a = 0; a < ys.length; a++) for (let b = 0; b < xs.length; b++) corners[a * xs.length + b] = at(ys[a], xs[b]);
    let phaseBest = -1, pBest = [0, 0], gridBest = null;
    for (let py = 0; py < GRID_PHASES; py++) for (let px = 0; px < GRID_PHASES; px++) {
      const grid = new Float64Array(n * n);
      let s1 = 0, s2 = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        const r0 = (py * m + i) * xs.length, r1 = (py * m + i + 1) * xs.length, c0 = px * m + j, c1 = px * m + j + 1;
        const v = (corners[r1 + c1] - corners[r0 + c1] - corners[r1 + c0] + corners[r0 + c0]) / (cell * cell);
        const g = Math.min(1, Math.max(0, v));
        grid[i * n + j] = g; s1 += g; s2 += g * g;
      }
      const score = s2 / Math.max(s1, 1e-12);
      if (score > phaseBest) { phaseBest = score; pBest = [py, px]; gridBest = grid; }
    }
    if (phaseBest > bestScore + 1e-12) {
      best = gridBest; bestScore = phaseBest;
      const [py, px] = pBest;
      let integer = true;
      for (let k = 0; k < m; k++) {
        for (const v of [ys[py * m + k], xs[px * m + k]]) if (Math.abs(v - Math.round(v)) > 1e-9) integer = false;
      }
      exact = Math.abs(cell - 1) < 1e-9 && integer;
    }
  }
  return { grid: best, exact, n };
}

function crispStrokes(digit) {
  const values = Float64Array.from(digit).sort();
  const mass = new Float64Array(values.length);
  let run = 0;
  values.forEach((v, i) => { run += v; mass[i] = run; });
  let k = 0;
  while (k < mass.length && mass[k] < mass[mass.length - 1] / 2) k++;
  const hi = Math.min(1, Math.max(0.6, values[k] / MNIST_CORE));
  return hi < 1 ? digit.map((d) => Math.min(1, Math.max(0, (d - (1 - hi)) / (2 * hi - 1)))) : digit;
}

// The drawing component renders inside a shadow root: look through open shadow roots too.
function deepQuery(root, selector) {
  if (!root) return null;
  const found = root.querySelector(selector);
  if (found) return found;
  for (const el of root.querySelectorAll("*")) {
    if (el.shadowRoot) {
      const inner = deepQuery(el.shadowRoot, selector);
      if (inner) return inner;
    }
  }
  return null;
}

function liveDrawing(component) {
  const { data } = component;
  const d = data.draw;
  let stopped = false;
  let encoder = null, coords = null, codes = null, ort = null;

  async function strokeEnded(tries = 10) {
    const lower = deepQuery(document.querySelector(`.st-key-${d.canvas}`), "canvas.dc-canvas.lower-canvas");
    if (!lower || !encoder || stopped) return;
    const t0 = performance.now();
    const rgba = lower.getContext("2d").getImageData(0, 0, lower.width, lower.height).data;
    const digit = prepareDigit(rgba, lower.width, lower.height);
    if (!digit) { // no ink yet: Fabric may not have drawn the stroke; look again a frame later, a few times
      if (tries > 1) await new Promise((r) => requestAnimationFrame(r)).then(() => strokeEnded(tries - 1));
      return;
    }
    const x = new ort.Tensor("float32", Float32Array.from(digit, (v) => v / 255), [1, 1, DIGIT_SIDE, DIGIT_SIDE]);
    const { mean } = await encoder.run({ x });
    const mu = Array.from(mean.data);
    let xy;
    if (d.projection === "raw") xy = [mu[0], mu[1]];
    else if (d.projection === "pca") {
      xy = [0, 1].map((c) => mu.reduce((acc, v, j) => acc + (v - d.pca_mean[j]) * d.pca_components[c][j], 0));
    } else {
      const near = nearest(codes, mu.length, mu, d.k);
      const w = near.map(([, dist]) => 1 / (dist + 1e-6));
      const total = w.reduce((a, b) => a + b, 0);
      xy = [0, 1].map((c) => near.reduce((acc, [i], n) => acc + (w[n] / total) * coords[2 * i + c], 0));
    }
    LIVE.lastDraw = { digit: Array.from(digit), mean: mu, xy, projection: d.projection, ms: performance.now() - t0 };
    LIVE.frames += 1;
    showStar(xy);
  }

  function showStar(xy) {
    const gd = document.querySelector(`[class*="st-key-${d.map}"] .js-plotly-plot`);
    const drag = gd && gd.querySelector(".nsewdrag");
    if (!gd || !drag || !gd._fullLayout) return; // the map appears with the server's first answer
    let star = gd.querySelector(".vae-live-star");
    if (!star) {
      star = document.createElement("div");
      star.className = "vae-live-star";
      star.textContent = "★";
      Object.assign(star.style, { position: "absolute", pointerEvents: "none", color: "#e11d48", fontSize: "26px", transform: "translate(-50%, -55%)", zIndex: 6, textShadow: "0 0 3px #fff" });
      gd.style.position = "relative";
      gd.appendChild(star);
    }
    const r = drag.getBoundingClientRect(), g = gd.getBoundingClientRect();
    star.style.left = `${r.left - g.left + gd._fullLayout.xaxis.d2p(xy[0])}px`;
    star.style.top = `${r.top - g.top + gd._fullLayout.yaxis.d2p(xy[1])}px`;
  }

  // Fabric draws the finished stroke onto its lower canvas on the next animation frame after the
  // pointerup (this listener, in the capture phase, runs before Fabric's): read it a frame after that.
  const afterTwoFrames = (run) => requestAnimationFrame(() => requestAnimationFrame(run));
  const onUp = () => afterTwoFrames(() => strokeEnded().catch((e) => { LIVE.error = String(e); }));
  loadRuntime(data.runtime)
    .then(async (runtime) => {
      ort = runtime;
      const wanted = [decoderSession(ort, d.encoder)];
      if (d.projection === "tsne") wanted.push(floats(d.coords), floats(d.codes));
      [encoder, coords, codes] = await Promise.all(wanted);
      if (stopped) return;
      LIVE.status = "ready";
      document.addEventListener("pointerup", onUp, true);
    })
    .catch((e) => { LIVE.status = "server"; LIVE.error = String(e); });
  return only(`drawing:${d.canvas}`, () => {
    stopped = true;
    document.removeEventListener("pointerup", onUp, true);
  });
}
