// @ts-check
// The map's DOM, built once per component and kept across reruns (a click reruns the fragment: the
// view, the loaded arrays and the WebGL buffers stay), with its state; the pointer listeners are
// installed once and call the current run's handlers (state.on).

import { LIVE } from "../runtime.js";
import { createGl } from "./renderer.js";

/** @typedef {import("./view.js").View} View */

/**
 * One run's handlers of the map's events.
 * @typedef {object} Handlers
 * @property {(e: PointerEvent) => void} down
 * @property {(e: PointerEvent) => void} move
 * @property {(e: PointerEvent) => void} up also on pointercancel
 * @property {(e: WheelEvent) => void} wheel
 * @property {() => void} dblclick
 * @property {() => void} resize
 */

/**
 * The map's DOM and what it keeps across reruns (a click reruns the fragment: the view, the loaded
 * arrays and the WebGL buffers stay).
 * @typedef {object} MapState
 * @property {HTMLElement} root
 * @property {HTMLElement} plot
 * @property {HTMLCanvasElement} glCanvas
 * @property {HTMLCanvasElement} overlay
 * @property {HTMLCanvasElement} pinCanvas the pin, drawn once and moved (map.js placePin)
 * @property {HTMLElement} events
 * @property {import("./renderer.js").GlPoints | null} gl
 * @property {Handlers | null} on this run's handlers
 * @property {string} [identity]
 * @property {View | null} view
 * @property {number} zoom
 * @property {Float32Array | null} coords
 * @property {string} [coordsUrl]
 * @property {Uint8Array | null} colours
 * @property {string} [coloursUrl]
 * @property {Uint8Array | null} rgba
 * @property {Set<number>} hidden
 * @property {string} [serverPin]
 * @property {[number, number, number | null] | null} pin
 * @property {string} [look] the last run's data but its pin: a rerun whose data differs only in the pin draws nothing new
 * @property {import("./picking.js").Grid | null} grid the picking index of `coords`
 * @property {Float32Array | null} gridOf the coords it was built from
 * @property {HTMLImageElement | null} sprite
 * @property {string} [spriteUrl]
 * @property {string | null} [brushMode] "box" or "lasso" while that brush button is pressed (a map that brushes)
 */

/**
 * The map's elements and state, built in parentElement.
 * The plot's height: the page's CSS may set it with --vae-map-height (a phone: ui/app.py's PHONE_CSS), else `tallest`
 * px, or less on a short screen.
 * @param {HTMLElement} parentElement
 * @param {number} tallest
 * @returns {MapState}
 */
export function buildMap(parentElement, tallest) {
  const height = Math.round(Math.max(360, Math.min(tallest, window.innerHeight - 130))); // whole on a 720-px projector
  const root = document.createElement("div");
  root.className = "vae-map";
  root.innerHTML = `
    <div class="vae-map-legend" style="display:flex;flex-wrap:wrap;align-items:center;gap:4px 14px;min-height:1.6em;font-size:0.85em;margin-bottom:4px"></div>
    <div class="vae-map-plot" style="position:relative;width:100%;height:var(--vae-map-height, ${height}px);touch-action:none;user-select:none">
      <canvas class="vae-map-gl" style="position:absolute;left:0;top:0;width:100%;height:100%"></canvas>
      <canvas class="vae-map-overlay" style="position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none"></canvas>
      <canvas class="vae-map-pin" style="position:absolute;left:0;top:0;display:none;pointer-events:none"></canvas>
      <div class="vae-map-events" style="position:absolute;cursor:crosshair;touch-action:none"></div>
      <div class="vae-map-tools" style="position:absolute;display:flex;gap:4px"></div>
      <div class="vae-live-hover" style="position:absolute;display:none;gap:10px;align-items:center;padding:6px 8px;background:rgba(255,255,255,0.93);border:1px solid #ccc;border-radius:6px;font-size:0.8em;line-height:1.3;max-width:300px;pointer-events:none;contain:layout style paint;box-shadow:0 1px 4px rgba(0,0,0,0.15)">
        <canvas style="width:96px;height:96px;flex:none;image-rendering:pixelated;background:#f4f4f4"></canvas>
        <div class="vae-hover-text"></div>
      </div>
    </div>
    <div class="vae-map-hint" style="font-size:0.8em;opacity:0.75;margin-top:2px"></div>`;
  parentElement.appendChild(root);
  /** @param {string} s */
  const q = (s) => /** @type {HTMLElement} */ (root.querySelector(s));
  const glCanvas = /** @type {HTMLCanvasElement} */ (q(".vae-map-gl"));
  /** @type {MapState} */
  const state = {
    root,
    plot: q(".vae-map-plot"),
    glCanvas,
    overlay: /** @type {HTMLCanvasElement} */ (q(".vae-map-overlay")),
    pinCanvas: /** @type {HTMLCanvasElement} */ (q(".vae-map-pin")),
    events: q(".vae-map-events"),
    gl: createGl(glCanvas, (e) => {
      LIVE.error = e;
    }),
    on: null,
    view: null,
    zoom: 1,
    coords: null,
    colours: null,
    rgba: null,
    hidden: new Set(),
    pin: null,
    grid: null,
    gridOf: null,
    sprite: null,
  };
  // The listeners are the map's, installed once; they call the current run's handlers (state.on).
  const events = state.events;
  events.addEventListener("pointerdown", (e) => state.on?.down(e));
  events.addEventListener("pointermove", (e) => state.on?.move(e));
  events.addEventListener("pointerup", (e) => state.on?.up(e));
  events.addEventListener("pointercancel", (e) => state.on?.up(e));
  events.addEventListener("wheel", (e) => state.on?.wheel(e), { passive: false });
  events.addEventListener("dblclick", () => state.on?.dblclick());
  new ResizeObserver(() => state.on?.resize()).observe(state.plot);
  return state;
}
