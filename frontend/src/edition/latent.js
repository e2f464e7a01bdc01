// @ts-check
// The latent sliders (the dashboard's Latent sliders page): one per latent dimension, most
// informative (highest KL) first, the top ones shown and the others folded, in units of the prior's
// standard deviation (±limit); start from the prior mean, a prior sample, or the last pinned spot.
// The picture is decoded on every animation frame of a drag (an <input type="range"> fires "input"
// for mouse and touch alike), one decode at a time.

import { normalSample, snapCode } from "./codes.js";
import { decodeInto, latestOnly } from "./decoder.js";
import { formatNumber } from "./texts.js";

/** @typedef {import("./scene.js").Scene} Scene */
/** @typedef {import("./decoder.js").Run} Run */

/**
 * @param {HTMLElement} panel the sliders' section (page.js)
 * @param {Scene} scene
 * @param {Promise<Run>} decoder
 * @param {() => Float32Array | null} pinned the code of the last pinned spot, or null
 * @param {() => string} lang the page's language now (values written its way: "0,50" in French)
 */
export function latentSliders(panel, scene, decoder, pinned, lang) {
  const { order, limit, top, active } = scene.sliders;
  const code = new Float32Array(order.length);
  const canvas = /** @type {HTMLCanvasElement} */ (panel.querySelector(".ed-picture"));
  const shown = /** @type {HTMLElement} */ (panel.querySelector(".ed-sliders"));
  const more = /** @type {HTMLElement} */ (panel.querySelector(".ed-sliders-more"));
  /** @type {HTMLInputElement[]} */
  const inputs = [];
  order.forEach((d, rank) => {
    const row = document.createElement("label");
    row.className = `ed-slider${active[d] ? "" : " ed-inactive"}`;
    row.innerHTML = '<span><span class="ed-slider-name"></span><span class="ed-slider-value">0.00</span></span><input type="range">';
    /** @type {HTMLElement} */ (row.querySelector(".ed-slider-name")).dataset.dim = String(d);
    const shownValue = /** @type {HTMLElement} */ (row.querySelector(".ed-slider-value"));
    const input = /** @type {HTMLInputElement} */ (row.lastChild);
    Object.assign(input, { min: String(-limit), max: String(limit), step: "0.01", value: "0" });
    input.dataset.dim = String(d);
    input.addEventListener("input", () => {
      code[d] = Number(input.value);
      shownValue.textContent = formatNumber(code[d], 2, lang());
      markDirty();
    });
    inputs[d] = input;
    (rank < top ? shown : /** @type {HTMLElement} */ (more.querySelector(".ed-more-body"))).appendChild(row);
  });
  if (order.length <= top) more.style.display = "none";

  // every input event asks for a frame; a frame that finds a decode running leaves it to the next
  const markDirty = latestOnly(() => decoder.then((decode) => decodeInto(decode, canvas, scene.image_shape, code.slice())));

  /** @param {ArrayLike<number>} values */
  function setCode(values) {
    code.set(snapCode(values, limit));
    code.forEach((v, d) => {
      inputs[d].value = String(v);
    });
    written();
    markDirty();
  }
  /** Every slider's value written in the page's language. */
  function written() {
    code.forEach((v, d) => {
      /** @type {HTMLElement} */ (inputs[d].parentElement?.querySelector(".ed-slider-value")).textContent = formatNumber(v, 2, lang());
    });
  }
  written();
  /** @param {string} name @param {() => void} act */
  const button = (name, act) => {
    const b = /** @type {HTMLButtonElement} */ (panel.querySelector(`[data-start="${name}"]`));
    b.onclick = act;
    return b;
  };
  button("mean", () => setCode(new Float32Array(code.length)));
  button("random", () => setCode(normalSample(code.length, Math.random)));
  const fromPin = button("pin", () => {
    const pin = pinned();
    if (pin) setCode(pin);
  });
  markDirty(); // the prior mean's picture: the page's first decoded picture
  return {
    /** @param {boolean} has whether a spot is pinned on the map */
    pinsChanged: (has) => {
      fromPin.disabled = !has;
    },
    languageChanged: written,
  };
}
