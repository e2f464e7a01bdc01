// @ts-check
// A drawn digit encoded in the browser after each stroke: the canvas's pixels through the digit
// preparation (digit.js, vae.data.inputs' port), the encoder net (engine/net.js), and vae.analysis.placement.place
// (raw: μ; PCA: the exact transform; t-SNE: the inverse-distance mean of the k nearest test codes'
// map positions); a star moved to that place on the plotly map. The server, answering the same
// stroke, replaces it.

import { prepareDigit } from "./digit.js";
import { blendNearest, pcaTransform } from "./maths.js";
import { floats, LIVE, net, only } from "./runtime.js";

/** @typedef {import("./types.js").DrawingPayload} DrawingPayload */

/**
 * The drawing component renders inside a shadow root: look through open shadow roots too.
 * @param {ParentNode | null} root
 * @param {string} selector
 * @returns {Element | null}
 */
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

/**
 * A plotly figure's element with the parts of its layout used here.
 * @typedef {HTMLElement & {_fullLayout?: {xaxis: {d2p: (v: number) => number}, yaxis: {d2p: (v: number) => number}}}} PlotlyElement
 */

/**
 * @param {DrawingPayload} data
 * @returns {() => void} the cleanup
 */
export function liveDrawing(data) {
  const d = data.draw;
  let stopped = false;
  /** @type {import("./runtime.js").Net | null} */
  let encoder = null;
  /** @type {Float32Array | null} */
  let coords = null;
  /** @type {Float32Array | null} */
  let codes = null;

  /** @param {number} [tries] */
  async function strokeEnded(tries = 10) {
    const lower = /** @type {HTMLCanvasElement | null} */ (deepQuery(document.querySelector(`.st-key-${d.canvas}`), "canvas.dc-canvas.lower-canvas"));
    const context = lower?.getContext("2d");
    if (!lower || !context || !encoder || stopped) return;
    const t0 = performance.now();
    const rgba = context.getImageData(0, 0, lower.width, lower.height).data;
    const digit = prepareDigit(rgba, lower.width, lower.height, d.inputs);
    if (!digit) {
      // no ink yet: Fabric may not have drawn the stroke; look again a frame later, a few times
      if (tries > 1) await new Promise((r) => requestAnimationFrame(r)).then(() => strokeEnded(tries - 1));
      return;
    }
    const mu = Array.from(await encoder.run(Float32Array.from(digit, (v) => v / 255))); // (1, side, side) → μ
    /** @type {number[]} */
    let xy;
    if (d.projection === "raw") xy = [mu[0], mu[1]];
    else if (d.projection === "pca") xy = pcaTransform(d.pca_mean, d.pca_components, mu);
    else if (codes && coords) xy = Array.from(blendNearest(codes, mu.length, coords, 2, mu, d.k, new Float64Array(2)));
    else return;
    LIVE.lastDraw = { digit: Array.from(digit), mean: mu, xy, projection: d.projection, ms: performance.now() - t0 };
    LIVE.frames += 1;
    showStar(xy);
  }

  /** @param {number[]} xy */
  function showStar(xy) {
    const gd = /** @type {PlotlyElement | null} */ (document.querySelector(`[class*="st-key-${d.map}"] .js-plotly-plot`));
    const drag = gd?.querySelector(".nsewdrag");
    const layout = gd?._fullLayout;
    if (!gd || !drag || !layout) return; // the map appears with the server's first answer
    let star = /** @type {HTMLElement | null} */ (gd.querySelector(".vae-live-star"));
    if (!star) {
      star = document.createElement("div");
      star.className = "vae-live-star";
      star.textContent = "★";
      Object.assign(star.style, {
        position: "absolute",
        pointerEvents: "none",
        color: "#e11d48",
        fontSize: "26px",
        transform: "translate(-50%, -55%)",
        zIndex: 6,
        textShadow: "0 0 3px #fff",
      });
      gd.style.position = "relative";
      gd.appendChild(star);
    }
    const r = drag.getBoundingClientRect();
    const g = gd.getBoundingClientRect();
    star.style.left = `${r.left - g.left + layout.xaxis.d2p(xy[0])}px`;
    star.style.top = `${r.top - g.top + layout.yaxis.d2p(xy[1])}px`;
  }

  // Fabric draws the finished stroke onto its lower canvas on the next animation frame after the
  // pointerup (this listener, in the capture phase, runs before Fabric's): read it a frame after that.
  /** @param {() => void} run */
  const afterTwoFrames = (run) => requestAnimationFrame(() => requestAnimationFrame(run));
  const onUp = () =>
    afterTwoFrames(() =>
      strokeEnded().catch((e) => {
        LIVE.error = String(e);
      }),
    );
  const tsne = (d.projection === "tsne" || d.projection === "umap") && d.coords && d.codes ? [d.coords, d.codes] : null;
  Promise.all([net(data.runtime, d.encoder), tsne && floats(tsne[0]), tsne && floats(tsne[1])])
    .then((loaded) => {
      [encoder, coords, codes] = loaded;
      if (stopped) return;
      LIVE.status = "ready";
      document.addEventListener("pointerup", onUp, true);
    })
    .catch((e) => {
      LIVE.status = "server";
      LIVE.error = String(e);
    });
  return only(`drawing:${d.canvas}`, () => {
    stopped = true;
    document.removeEventListener("pointerup", onUp, true);
  });
}
