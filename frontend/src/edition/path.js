// @ts-check
// The interpolation scrubber between the two spots pinned last on the map (A, then B), as the
// dashboard's Interpolation page: the point a fraction t of the way from A's code to B's
// (maths.js pathAt, lerp or slerp) decoded on every animation frame of a drag, and A and B decoded
// beside it.

import { pathAt } from "../maths.js";
import { decodeInto, latestOnly } from "./decoder.js";

/** @typedef {import("./scene.js").Scene} Scene */
/** @typedef {import("./decoder.js").Run} Run */

/**
 * @param {HTMLElement} panel the path's section (page.js)
 * @param {Scene} scene
 * @param {Promise<Run>} decoder
 */
export function scrubber(panel, scene, decoder) {
  /** @param {string} s */
  const q = (s) => /** @type {HTMLElement} */ (panel.querySelector(s));
  const picture = /** @type {HTMLCanvasElement} */ (q(".ed-picture"));
  const ends = [/** @type {HTMLCanvasElement} */ (q(".ed-end-a")), /** @type {HTMLCanvasElement} */ (q(".ed-end-b"))];
  const slider = /** @type {HTMLInputElement} */ (q(".ed-scrub"));
  const method = /** @type {HTMLSelectElement} */ (q(".ed-method"));
  const body = q(".ed-path-body");
  const none = q(".ed-path-none");
  /** @type {[Float32Array, Float32Array] | null} */
  let ab = null;
  const markDirty = latestOnly(() => {
    if (!ab) return null;
    const code = Float32Array.from(pathAt(ab[0], ab[1], Number(slider.value), method.value));
    return decoder.then((decode) => decodeInto(decode, picture, scene.image_shape, code));
  });
  slider.addEventListener("input", markDirty);
  method.addEventListener("change", markDirty);

  return {
    /** @param {Float32Array[]} codes the pinned spots' codes, oldest first */
    pinsChanged(codes) {
      const ready = codes.length >= 2;
      body.style.display = ready ? "" : "none";
      none.style.display = ready ? "none" : "";
      if (!ready) return;
      ab = [codes[codes.length - 2], codes[codes.length - 1]];
      const [a, b] = ab;
      decoder.then(async (decode) => {
        await decodeInto(decode, ends[0], scene.image_shape, a);
        await decodeInto(decode, ends[1], scene.image_shape, b);
      });
      markDirty();
    },
  };
}
