// @ts-check
// The nets (frontend/src/engine: the decoder and, on MNIST, the encoder, vae.artifacts.browser_net's
// files), one run at a time for the sliders, the scrubber and the drawing, and a decoded picture drawn on a canvas with the
// telemetry the dashboard keeps (runtime.js's record) plus the first picture's time.

import { afterFrames, LIVE, net, record, TELEMETRY, toImageData } from "../runtime.js";

/** @typedef {(input: Float32Array) => Promise<Float32Array>} Run */

let tail = /** @type {Promise<unknown>} */ (Promise.resolve());

/**
 * A net from its spec's URL (runtime.js's net: loaded once per page, the map shares it; big nets on
 * tfjs's WebAssembly from the folder `runtime`), its runs here queued behind one another (a slider, the
 * scrubber and the encoder never overlap).
 * @param {string} runtime the URL of the edition's tfjs folder
 * @param {string} url
 * @returns {Promise<Run>}
 */
export async function openNet(runtime, url) {
  const loaded = await net(runtime, url);
  return (input) => {
    const run = tail.then(() => loaded.run(input));
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * A decoded picture on a canvas of the image's own size (CSS enlarges it, pixelated), counted as a
 * frame; the first one sets __vaeLive.firstPictureMs.
 * @param {HTMLCanvasElement} canvas
 * @param {ArrayLike<number>} pixels (C, H, W) in [0, 1]
 * @param {[number, number, number]} shape
 * @param {ArrayLike<number>} code
 * @param {number} t0 performance.now() when the decoding started
 */
export function showPicture(canvas, pixels, shape, code, t0) {
  const [channels, height, width] = shape;
  const image = toImageData(pixels, channels, height, width);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  canvas.getContext("2d")?.putImageData(image, 0, 0);
  canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
  record(t0, code, image);
  firstPicture();
}

/** Marks the first decoded picture drawn on the page (the map's hover inset counts too). */
export function firstPicture() {
  if (TELEMETRY && LIVE.firstPictureMs === undefined) LIVE.firstPictureMs = performance.now();
}

/**
 * The decode of one code and its picture, as one step: what the sliders and the scrubber run per frame.
 * @param {Run} decode
 * @param {HTMLCanvasElement} canvas
 * @param {[number, number, number]} shape
 * @param {Float32Array} code
 */
export async function decodeInto(decode, canvas, shape, code) {
  const t0 = performance.now();
  const pixels = await decode(code);
  showPicture(canvas, pixels, shape, code, t0);
}

/**
 * One decode at a time, the latest state drawn: the returned function (called on every input event) asks
 * for an animation frame; a frame that finds a decode running leaves it to the frame after it ends.
 * `step` starts one frame's decode, or returns null when there is nothing to draw.
 * @param {() => Promise<unknown> | null} step
 * @returns {() => void}
 */
export function latestOnly(step) {
  let busy = false;
  let dirty = false;
  const loop = afterFrames(() => {
    if (busy) {
      dirty = true;
      return;
    }
    const running = step();
    if (!running) return;
    busy = true;
    dirty = false;
    running.finally(() => {
      busy = false;
      if (dirty) loop.next();
    });
  });
  return () => {
    dirty = true;
    loop.next();
  };
}
