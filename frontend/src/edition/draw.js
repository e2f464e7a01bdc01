// @ts-check
// Drawing a digit (MNIST; the dashboard's Your own input page): a black square the mouse or a finger
// draws on in white; after each stroke the canvas goes through the digit preparation (digit.js, the
// port of vae.data.inputs), the encoder's net gives μ, and μ lands on the map (placement.js) as a star.
// The encoder's net is fetched when the drawing is first shown, not with the page: most visits never draw.

import { prepareDigit } from "../digit.js";
import { LIVE, TELEMETRY } from "../runtime.js";

/** @typedef {import("./scene.js").Scene} Scene */
/** @typedef {import("./decoder.js").Run} Run */

export const CANVAS_SIDE = 280; // px, as ui.components.input_widgets.CANVAS_SIDE: 10× MNIST's 28
export const STROKE_WIDTH = 20; // px, as ui.components.input_widgets.STROKE_WIDTH

/**
 * @param {HTMLElement} panel the drawing's section (page.js)
 * @param {import("../digit.js").DigitConstants} inputs
 * @param {() => Promise<Run>} encoder the encoder's net, opened on first use (it loads with the Draw tab, not the page)
 * @param {(mu: Float32Array, digit: Float64Array) => void} encoded called after each stroke with μ
 */
export function drawing(panel, inputs, encoder, encoded) {
  const canvas = /** @type {HTMLCanvasElement} */ (panel.querySelector(".ed-canvas"));
  const digitView = /** @type {HTMLCanvasElement} */ (panel.querySelector(".ed-digit"));
  canvas.width = CANVAS_SIDE;
  canvas.height = CANVAS_SIDE;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  function clear() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
  }
  clear();
  /** @type {[number, number] | null} */
  let last = null;
  /** @param {PointerEvent} e @returns {[number, number]} */
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * CANVAS_SIDE) / r.width, ((e.clientY - r.top) * CANVAS_SIDE) / r.height];
  };
  /** @param {[number, number]} from @param {[number, number]} to */
  function line(from, to) {
    Object.assign(ctx, { strokeStyle: "#fff", lineWidth: STROKE_WIDTH, lineCap: "round", lineJoin: "round" });
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  }
  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    line(last, last);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const p = at(e);
    line(last, p);
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    strokeEnded().catch((err) => {
      LIVE.error = String(err);
    });
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  /** @type {HTMLButtonElement} */ (panel.querySelector(".ed-clear")).onclick = clear;

  async function strokeEnded() {
    const t0 = performance.now();
    const rgba = ctx.getImageData(0, 0, CANVAS_SIDE, CANVAS_SIDE).data;
    const digit = prepareDigit(rgba, CANVAS_SIDE, CANVAS_SIDE, inputs);
    if (!digit) return; // blank so far
    const side = inputs.side;
    const shown = new ImageData(side, side);
    digit.forEach((v, i) => {
      shown.data.set([v, v, v, 255], 4 * i);
    });
    digitView.width = side;
    digitView.height = side;
    digitView.getContext("2d")?.putImageData(shown, 0, 0);
    const encode = await encoder();
    const mu = await encode(Float32Array.from(digit, (v) => v / 255));
    if (TELEMETRY) LIVE.lastDraw = { digit: Array.from(digit), mean: Array.from(mu), ms: performance.now() - t0 };
    encoded(mu, digit);
  }
}
