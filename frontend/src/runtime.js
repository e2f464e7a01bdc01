// @ts-check
// The decoders and encoders and what every use shares: the model's nets (the browser engine,
// engine/net.js: vae/artifacts/browser_net.py's files, run by plain JavaScript kernels or by tfjs's
// WebAssembly from static/tfjs/) loaded once per URL, the float32/uint8 files fetched once, and the
// small helpers (one animation frame at a time, one run of a use at a time, pixels as drawn).

import { fromHalves, loadNet } from "./engine/net.js";

/** @typedef {import("./engine/net.js").Net} Net */

/**
 * What the module's runs on every rerun share: the nets, the fetched arrays and each use's running
 * cleanup. Kept on window under a symbol (a rerun may evaluate the module again), never read by tests.
 * @typedef {object} Shared
 * @property {Map<string, Promise<Net>>} nets
 * @property {Map<string, Promise<ArrayBufferView>>} arrays
 * @property {Map<string, () => void>} running
 */

/**
 * Test telemetry: what the browser tests and benchmarks read as window.__vaeLive, put there only when
 * the page sets window.__vaeTelemetry = true before the component runs (harness/browser.py's new_page).
 * @typedef {object} Probe
 * @property {"loading" | "ready" | "server"} status
 * @property {string | null} error
 * @property {string} [model]
 * @property {number} frames pictures drawn in the browser since the page loaded
 * @property {number[]} decodeMs
 * @property {number[]} [hoverMs]
 * @property {number[]} [lastCode]
 * @property {Uint8ClampedArray} [lastPixels]
 * @property {object} [lastHover]
 * @property {object} [lastDraw]
 * @property {number} [facesDrawn]
 * @property {number} [firstPictureMs] the student edition: performance.now() when its first decoded picture was drawn
 * @property {(url: string, codes: number[][], shape: number[]) => Promise<number[][]>} [decodeCodes]
 * @property {Map<string, Promise<Net>>} [nets] the page's nets, by URL (tests read the decoder's)
 */

const SHARED = Symbol.for("vae-live-shared-net");
// globalThis: the page's window, or a worker's scope (the student edition's nets, engine/worker.js), where nothing of this is used
const w = /** @type {Window & {__vaeTelemetry?: boolean, __vaeLive?: Probe, [SHARED]?: Shared}} */ (/** @type {unknown} */ (globalThis));

/** Whether the page asked for telemetry on window. */
export const TELEMETRY = w.__vaeTelemetry === true;

w[SHARED] ??= { nets: new Map(), arrays: new Map(), running: new Map() };
/** @type {Shared} */
const STATE = w[SHARED];

/** @type {Probe} */
const probe = { status: "loading", error: null, frames: 0, decodeMs: [] };
if (TELEMETRY) w.__vaeLive ??= { ...probe, nets: STATE.nets };
/** The telemetry: window.__vaeLive where asked for, else this module's own (status and errors for the console). */
export const LIVE = w.__vaeLive ?? probe;

/**
 * URLs from Python are paths on this server; the module itself may run from a blob: URL, so they
 * are resolved against the page.
 * @param {string} path
 */
export const absolute = (path) => new URL(path, document.baseURI).href;

/**
 * A net (the model's decoder or encoder: the JSON's URL), loaded once per page and URL; loadNet's "auto"
 * runs the big ones on tfjs's WebAssembly (from the folder `runtime`) and the small ones on plain JavaScript.
 * @param {string} runtime URL of static/tfjs/
 * @param {string} url
 * @returns {Promise<Net>}
 */
export function net(runtime, url) {
  let n = STATE.nets.get(url);
  if (!n) {
    n = worker ? workerNet(worker, absolute(runtime), absolute(url)) : loadNet(absolute(url), { backend: "auto", runtime: absolute(runtime) });
    STATE.nets.set(url, n);
    n.catch(() => STATE.nets.delete(url)); // a later run may try again
  }
  return n;
}

/** @type {Worker | null} the worker that runs the nets (useWorker), or null: they run on the page's thread */
let worker = null;
let requests = 0;
/** @type {Map<number, {resolve: (answer: any) => void, reject: (e: Error) => void}>} */
const waiting = new Map();

/**
 * From now on the nets run in a Web Worker started from `source`, engine/worker_main.js bundled (build.mjs):
 * decoding no longer holds the page's thread, which then takes the pointer's events and draws. The same
 * nets, the same outputs. The worker reads its files through the page (what index.html preloaded).
 * @param {string} source
 */
export function useWorker(source) {
  const started = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })), { type: "module" });
  worker = started;
  started.onmessage = (e) => {
    if ("fetch" in e.data) {
      const { fetch: url, fetched } = e.data;
      fetch(url)
        .then(async (r) => {
          const body = await r.arrayBuffer();
          started.postMessage({ fetched, ok: r.ok, status: r.status, body }, [body]);
        })
        .catch(() => started.postMessage({ fetched, ok: false, status: 0 }));
      return;
    }
    const { id, error } = e.data;
    const waiter = waiting.get(id);
    waiting.delete(id);
    if (error) waiter?.reject(new Error(error));
    else waiter?.resolve(e.data);
  };
  started.onerror = (e) => {
    for (const waiter of waiting.values()) waiter.reject(new Error(`the nets' worker: ${e.message}`));
    waiting.clear();
  };
}

/** Whether the nets run in a worker (useWorker). */
export const offThread = () => worker !== null;

/** ms of one animation frame at 60 Hz */
export const FRAME_MS = 1000 / 60;

/**
 * A net loaded and run by the worker, with the interface of a net run here.
 * @param {Worker} to
 * @param {string} runtime absolute URL
 * @param {string} url absolute URL
 * @returns {Promise<Net>}
 */
async function workerNet(to, runtime, url) {
  /** @param {object} message @returns {Promise<any>} */
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const id = ++requests;
      waiting.set(id, { resolve, reject });
      to.postMessage({ id, url, runtime, ...message });
    });
  const loaded = await ask({ op: "load" });
  return {
    spec: loaded.spec,
    inputSize: loaded.inputSize,
    outputShape: loaded.outputShape,
    backend: `${loaded.backend} in a worker`,
    run: async (input) => (await ask({ op: "run", input: Float32Array.from(input) })).output,
  };
}

/**
 * A little-endian file fetched once per page as a typed array.
 * @template {Float32Array | Uint8Array} T
 * @param {string} url
 * @param {(buffer: ArrayBuffer) => T} read
 * @returns {Promise<T>}
 */
function fetchArray(url, read) {
  let a = STATE.arrays.get(url);
  if (!a) {
    a = fetch(absolute(url))
      .then((r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return r.arrayBuffer();
      })
      .then(read);
    STATE.arrays.set(url, a);
  }
  return /** @type {Promise<T>} */ (a);
}

/** @param {string} url values as float32 (.f32) or float16 (.f16: the codes), read as float32 (ui/components/live.py writes them) */
export const floats = (url) => fetchArray(url, (b) => (url.split("?")[0].endsWith(".f16") ? fromHalves(b) : new Float32Array(b)));
/** @param {string} url bytes */
export const bytes = (url) => fetchArray(url, (b) => new Uint8Array(b));

/**
 * (1, C, H, W) floats in [0, 1] → RGBA pixels, rounded as the server does (vae.core.latent.to_uint8).
 * @param {ArrayLike<number>} pixels
 * @param {number} channels
 * @param {number} height
 * @param {number} width
 */
export function toImageData(pixels, channels, height, width) {
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

// For tests and benchmarks: decode codes ([[...], ...]) with a decoder URL, one at a time as the
// page does; returns the uint8 RGB(A) pixels of each, rounded as drawn.
if (TELEMETRY)
  LIVE.decodeCodes = async (url, codes, shape) => {
    const decoder = await /** @type {Promise<Net>} */ (STATE.nets.get(url));
    const [channels, height, width] = shape;
    const out = [];
    for (const c of codes) {
      const pixels = await decoder.run(Float32Array.from(c));
      out.push(Array.from(toImageData(pixels, channels, height, width).data));
    }
    return out;
  };

/**
 * What a drawn picture leaves for tests and benchmarks: its count, decode time, code and pixels.
 * @param {number} t0 performance.now() when the decoding started
 * @param {ArrayLike<number>} code
 * @param {ImageData} image
 */
export function record(t0, code, image) {
  if (!TELEMETRY) return;
  LIVE.frames += 1;
  LIVE.decodeMs.push(performance.now() - t0);
  if (LIVE.decodeMs.length > 500) LIVE.decodeMs.shift();
  LIVE.lastCode = Array.from(code);
  LIVE.lastPixels = image.data;
}

/** @type {(() => void)[]} */
const soonQueue = [];
/** @type {MessagePort | null} */
let soonPort = null;

/**
 * `fn` in a task of its own, as soon as the event loop is free (a MessageChannel message: no timer clamp).
 * @param {() => void} fn
 */
function soon(fn) {
  if (!soonPort) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      for (const f of soonQueue.splice(0)) f();
    };
    soonPort = channel.port2;
  }
  soonQueue.push(fn);
  if (soonQueue.length === 1) soonPort.postMessage(0);
}

/**
 * As frames, but `step` runs in a task just after the animation frame rather than inside it: what follows
 * the hand (a decode, then its picture put on a canvas) starts once the frame has been rendered, and the
 * picture is shown by the next one. Inside the frame, a decode of 14 ms plus the frame's own 8 ms of
 * rendering (celeba-z64 on a phone, CPU 4× slower) missed every other vsync: 30 pictures/s at most;
 * after it, the two run back to back (about 43/s). Still one step per animation frame at most: a picture
 * that no frame shows is never decoded.
 * @param {() => void} step
 */
export function afterFrames(step) {
  let id = 0;
  let pending = false;
  return {
    next() {
      if (id || pending) return;
      id = requestAnimationFrame(() => {
        id = 0;
        pending = true;
        soon(() => {
          if (!pending) return;
          pending = false;
          step();
        });
      });
    },
    cancel() {
      cancelAnimationFrame(id);
      id = 0;
      pending = false;
    },
  };
}

/**
 * One animation frame requested at a time, and only while there is something new to draw: an idle
 * page runs no loop. next() asks for a frame that runs `step`; cancel() drops the pending one.
 * @param {() => void} step
 */
export function frames(step) {
  let id = 0;
  return {
    next() {
      if (!id)
        id = requestAnimationFrame(() => {
          id = 0;
          step();
        });
    },
    cancel() {
      cancelAnimationFrame(id);
      id = 0;
    },
  };
}

/**
 * A v2 component's module runs again on every rerun, and Streamlit 1.67 does not call the previous
 * run's cleanup first (seen: listeners and frame loops piled up, one more per rerun). only() stops
 * the previous run of the same use before this one starts, and returns this run's cleanup.
 * @param {string} use
 * @param {() => void} stop
 */
export function only(use, stop) {
  const previous = STATE.running.get(use);
  if (previous && previous !== stop) previous();
  STATE.running.set(use, stop);
  return stop;
}
