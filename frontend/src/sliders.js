// @ts-check
// Latent sliders, face-attribute sliders and the interpolation scrubber, decoded in the browser on
// every animation frame of a drag. While one of the page's sliders (Streamlit st.slider widgets,
// named in data.sliders, data.directions or data.path) is dragged, their values are read from the
// page, that code is decoded with the model's ONNX decoder and drawn over the server's decoded image
// (the element .st-key-<data.target>). Streamlit sends a slider's value to the server on release
// only; the release reruns the page and the server's picture, the same up to 2/255 per pixel,
// replaces the live one.

import { pathAt } from "./maths.js";
import { afterFrames, LIVE, net, only, record, toImageData } from "./runtime.js";

/** @typedef {import("./types.js").SlidersPayload} SlidersPayload */

/**
 * Streamlit 1.67's slider (react-aria) keeps a hidden <input type="range"> in step with the thumb
 * while it is dragged; the value reaches Python on release only.
 * @param {string} key
 */
function sliderValue(key) {
  const input = /** @type {HTMLInputElement | null} */ (document.querySelector(`.st-key-${key} input[type="range"]`));
  const value = input ? parseFloat(input.value) : NaN;
  return Number.isFinite(value) ? value : null;
}

/**
 * @param {SlidersPayload} data
 * @returns {() => void} the cleanup
 */
export function liveSliders(data) {
  const [channels, height, width] = data.image_shape;
  // The code drawn is data.code, with each latent slider's value in its dimension
  // (data.sliders: [[widget key, dimension], ...]), plus value × vector for each direction slider
  // (data.directions: [[widget key, vector], ...]: the face editor's attribute directions).
  const base = Float32Array.from(data.code);
  const code = Float32Array.from(data.code);
  const sliders = data.sliders || [];
  /** @type {[string, Float32Array][]} */
  const directions = (data.directions || []).map(([key, v]) => [key, Float32Array.from(v)]);
  // data.path: [widget key, a, b, method]: the slider is a fraction t of the way from a to b.
  const path = data.path ? { key: data.path[0], a: Float64Array.from(data.path[1]), b: Float64Array.from(data.path[2]), method: data.path[3] } : null;
  const keys = [...sliders.map(([k]) => k), ...directions.map(([k]) => k), ...(path ? [path.key] : [])];
  /** @type {import("./runtime.js").Net | null} */
  let decoder = null;
  let busy = false;
  let dirty = false;
  /** @type {HTMLCanvasElement | null} */
  let overlay = null;
  /** @type {MutationObserver | null} */
  let watcher = null; // the server's next picture takes over from the live one
  let stopped = false;

  const small = document.createElement("canvas");
  small.width = width;
  small.height = height;

  /** @param {ImageData} image */
  function showOverlay(image) {
    const img = /** @type {HTMLImageElement | null} */ (document.querySelector(`.st-key-${data.target} img`));
    if (!img?.parentElement) return;
    const holder = img.parentElement;
    if (!overlay?.isConnected || overlay.parentElement !== holder) {
      const canvas = document.createElement("canvas");
      overlay = canvas;
      canvas.className = "vae-live-overlay";
      canvas.dataset.live = data.model;
      holder.style.position = "relative";
      Object.assign(canvas.style, {
        position: "absolute",
        left: `${img.offsetLeft}px`,
        top: `${img.offsetTop}px`,
        imageRendering: "pixelated",
        pointerEvents: "none",
      });
      holder.appendChild(canvas);
      const source = img.currentSrc;
      // the server's next picture (after a release) takes over again
      watcher?.disconnect();
      watcher = new MutationObserver(() => {
        if (img.currentSrc !== source) canvas.style.display = "none";
      });
      watcher.observe(img, { attributes: true, attributeFilter: ["src"] });
    }
    overlay.width = img.clientWidth;
    overlay.height = img.clientHeight;
    overlay.style.width = `${img.clientWidth}px`;
    overlay.style.height = `${img.clientHeight}px`;
    overlay.style.display = "block";
    small.getContext("2d")?.putImageData(image, 0, 0);
    const ctx = overlay.getContext("2d");
    if (!ctx) return;
    ctx.imageSmoothingEnabled = false; // nearest neighbour, as the server enlarges (widgets.enlarge)
    ctx.drawImage(small, 0, 0, overlay.width, overlay.height);
  }

  /** @param {import("./runtime.js").Net} s */
  async function decode(s) {
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
      const t = sliderValue(path.key);
      if (t !== null) code.set(pathAt(path.a, path.b, t, path.method));
    }
    const t0 = performance.now();
    const pixels = await s.run(code);
    const image = toImageData(pixels, channels, height, width);
    showOverlay(image);
    record(t0, code, image);
    busy = false;
  }

  const loop = afterFrames(() => {
    if (stopped || !dirty || !decoder) return;
    if (busy) return loop.next();
    decode(decoder)
      .catch((e) => {
        LIVE.error = String(e);
        busy = false;
      })
      .finally(() => {
        if (dirty) loop.next();
      });
  });

  const watched = keys.map((key) => `.st-key-${key}`).join(",");
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      const target = /** @type {Element} */ (m.target);
      if (target.closest?.(watched)) {
        dirty = true;
        loop.next();
        return;
      }
    }
  });

  net(data.runtime, data.decoder)
    .then((loaded) => {
      decoder = loaded;
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
    watcher?.disconnect();
  });
}
