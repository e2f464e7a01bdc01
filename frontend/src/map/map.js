// @ts-check
// The latent map: the encoded test set drawn in the browser (renderer.js: WebGL, or a 2-D canvas
// where WebGL is unavailable), coloured as the server says (ui.components.figures.map_colouring: one
// RGBA + group byte per point, fetched once); drag pans, the wheel or the +/− buttons zoom, a double
// click or ⟲ resets the view (view.js). Hovering decodes the location under the pointer in the
// browser on every animation frame (raw: that z; PCA: the exact inverse; t-SNE: the
// inverse-distance blend of the k nearest test codes on the map) and draws it in an inset with the
// honesty cue (vae.artifacts.atlas.code_at's distances in typical neighbour spacings). Touch has no
// hover: one finger on the map decodes under it as the mouse's hover does (it does not pan), a touch
// that ends within a few pixels of where it began is a tap, which pins as a click does, and two
// fingers pan and pinch-zoom about their midpoint (view.js's pinched). A click pins
// the spot at once and sends it to Python once, as {x, y, index} (index: the test point within a few
// pixels, picking.js, or null), which answers with the details panel. Hovering and panning send
// nothing. On a CelebA map, the faces mode draws each test point as its face (a sprite sheet).
// Here: one run's wiring of those parts (dom.js the elements kept across reruns, controls.js the
// legend and buttons, overlay.js the axes, faces, samples and pin), the hover and the pointer events.

import { blendNearest, nearest, pcaInverse } from "../maths.js";
import { absolute, afterFrames, bytes, FRAME_MS, floats, frames, LIVE, net, offThread, only, record, TELEMETRY, toImageData } from "../runtime.js";
import { buildLegend, buildTools } from "./controls.js";
import { buildMap } from "./dom.js";
import { drawBackdrop, drawFaces, drawPin, drawRegion, drawSamples } from "./overlay.js";
import { buildGrid, pick } from "./picking.js";
import { draw2d, drawGl, upload, visibleAlpha } from "./renderer.js";
import { fitView, fromPixel, MARGIN, panned, pinched, plotArea, toPixel, written, zoomed } from "./view.js";

/** @typedef {import("../types.js").LatentMapPayload} LatentMapPayload */
/** @typedef {import("./view.js").View} View */
/** @typedef {import("./dom.js").MapState} MapState */
/** @typedef {import("./view.js").Area} Area */

const CLICK_SLOP_PX = 4;
const TAP_SLOP_PX = 8; // a finger wobbles more than a mouse
const HIT_PX = 7;

/**
 * The map's interface for tests and benchmarks (window.__vaeMap).
 * @typedef {{renders: number, clicks: number, firstDrawnAt: number | null, facesDrawn: number, [key: string]: unknown}} MapProbe
 */

/**
 * @param {{data: LatentMapPayload, parentElement: HTMLElement, setTriggerValue: (name: string, value: unknown) => void}} component
 * @returns {() => void} the cleanup
 */
export function latentMap(component) {
  const { data, parentElement, setTriggerValue } = component;
  const m = data.map;
  const [channels, height, width] = data.image_shape;
  const dim = m.dim;
  const { point_px: POINT_PX, pin_px: PIN_PX, opacity: OPACITY } = m.style;
  let stopped = false;

  const existing = /** @type {(HTMLElement & {__state?: MapState}) | null} */ (parentElement.querySelector(".vae-map"));
  let S = existing?.__state;
  if (!S) {
    S = buildMap(parentElement, m.height);
    /** @type {HTMLElement & {__state?: MapState}} */ (S.root).__state = S;
  }
  const St = S;
  const { plot, glCanvas, overlay, pinCanvas, events } = St;
  /** @param {string} s */
  const q = (s) => /** @type {HTMLElement} */ (St.root.querySelector(s));
  const legend = q(".vae-map-legend");
  const tools = q(".vae-map-tools");
  const box = q(".vae-live-hover");
  const preview = /** @type {HTMLCanvasElement} */ (box.querySelector("canvas"));
  const text = /** @type {HTMLElement} */ (box.querySelector(".vae-hover-text"));
  q(".vae-map-hint").textContent = m.texts.hint;
  preview.width = width;
  preview.height = height;

  const identity = `${data.model}|${m.projection}|${m.coords}`;
  if (St.identity !== identity) {
    St.identity = identity;
    St.view = null; // fitted to the extent once the size is known
    St.coords = null;
    St.hidden = new Set();
    St.serverPin = undefined;
    box.style.display = "none";
  }
  if (St.coloursUrl !== m.colours) St.hidden = new Set();
  // The server's current click ([x, y, index] or null). A click pins at once here and reruns the
  // page, whose data still carries the previous click: only a change from the server moves the pin.
  const serverPin = JSON.stringify(m.pin);
  const look = JSON.stringify([data.model, { ...m, pin: null }]); // what the layers show, drawn by render()
  if (St.serverPin !== serverPin) {
    St.serverPin = serverPin;
    St.pin = m.pin;
  }

  // ---- geometry (view.js) -----------------------------------------------------------------------
  /** @type {[number, number] | null} the plot's CSS pixels, read once per size (the ResizeObserver forgets them): reading clientWidth on every move forced a layout per decoded picture */
  let size = null;
  /** @returns {[number, number]} */
  const plotSize = () => {
    size ??= [plot.clientWidth, plot.clientHeight];
    return size;
  };
  const area = () => plotArea(...plotSize());
  /** @returns {View} */
  const view = () => /** @type {View} */ (St.view);
  function resetView() {
    St.view = fitView(m.extent, m.equal, area());
    St.zoom = 1;
  }
  /** @param {number} x @param {number} y */
  const px = (x, y) => toPixel(view(), area(), x, y);
  /** @param {number} x @param {number} y */
  const fromPx = (x, y) => fromPixel(view(), area(), x, y);

  // ---- drawing ---------------------------------------------------------------------------------
  function uploadPoints() {
    if (!St.colours) return;
    St.rgba = visibleAlpha(St.colours, St.hidden, OPACITY);
    if (St.gl && St.coords) upload(St.gl, St.coords, St.rgba);
  }

  const pointSize = () => POINT_PX * Math.min(2.4, Math.sqrt(St.zoom || 1));
  /** @returns {CanvasRenderingContext2D} */
  const ctx2d = () => /** @type {CanvasRenderingContext2D} */ (overlay.getContext("2d"));

  /** @param {number} dpr @param {Area} a @param {Float32Array} coords @param {Uint8Array} rgba */
  function drawPoints(dpr, a, coords, rgba) {
    if (St.gl) drawGl(St.gl, coords.length / 2, view(), a, plotSize()[1], dpr, pointSize());
    else draw2d(ctx2d(), coords, rgba, px, a, pointSize(), OPACITY);
  }

  function render() {
    const { coords, colours, rgba } = St;
    if (!coords || !colours || !rgba || stopped) return;
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = plotSize();
    if (!w || !h) {
      size = null; // not laid out yet: read again next time
      return;
    }
    for (const c of [glCanvas, overlay]) {
      if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
        c.width = Math.round(w * dpr);
        c.height = Math.round(h * dpr);
      }
    }
    if (!St.view) resetView();
    const a = area();
    Object.assign(events.style, { left: `${a.left}px`, top: `${a.top}px`, width: `${a.width}px`, height: `${a.height}px` });
    Object.assign(tools.style, { left: `${a.left + 6}px`, top: `${a.top + 6}px` });
    /** @type {import("./overlay.js").Frame} */
    const f = { ctx: ctx2d(), a, px };
    drawBackdrop(f, dpr, view(), m.axes, St.root, m.circles, m.texts.decimal);
    drawPoints(dpr, a, coords, rgba);
    MAP.facesDrawn = drawFaces(f, coords, rgba, St.sprite, m.faces, St.zoom);
    LIVE.facesDrawn = MAP.facesDrawn;
    drawSamples(f, m.overlays || []);
    if (m.brushed) drawRegion(f, m.brushed);
    if (press?.brush) drawBrushing(press.brush, press.kind || "box");
    placePin();
    St.look = look;
    MAP.renders += 1;
    if (MAP.firstDrawnAt === null) MAP.firstDrawnAt = performance.now();
  }
  const redraw = frames(render);

  /** The pin's canvas moved onto St.pin (hidden with no pin, or off the plot); the pin is drawn on it once per pixel ratio. */
  function placePin() {
    const pin = St.pin;
    const a = area();
    const at = pin && St.view ? px(pin[0], pin[1]) : null;
    if (!at || at[0] < 0 || at[1] < 0 || at[0] > a.width || at[1] > a.height) {
      pinCanvas.style.display = "none";
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    const side = 2 * PIN_PX + 8;
    if (pinCanvas.width !== Math.round(side * dpr)) {
      pinCanvas.width = pinCanvas.height = Math.round(side * dpr);
      pinCanvas.style.width = pinCanvas.style.height = `${side}px`;
      const ctx = /** @type {CanvasRenderingContext2D} */ (pinCanvas.getContext("2d"));
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawPin(ctx, side / 2, side / 2, PIN_PX);
    }
    pinCanvas.style.transform = `translate(${a.left + at[0] - side / 2}px, ${a.top + at[1] - side / 2}px)`;
    pinCanvas.style.display = "block";
  }

  // ---- legend and tools (controls.js) ---------------------------------------------------------
  /** @param {number} factor @param {number} x @param {number} y pixels */
  function zoomAt(factor, x, y) {
    St.view = zoomed(view(), area(), factor, x, y);
    St.zoom = (St.zoom || 1) * factor;
    redraw.next();
  }
  /** @param {number} factor */
  function zoomCentre(factor) {
    const a = area();
    zoomAt(factor, a.width / 2, a.height / 2);
  }
  function reset() {
    resetView();
    redraw.next();
  }

  // ---- hover: decode under the pointer ---------------------------------------------------------
  /** @type {import("../runtime.js").Net | null} */
  let decoder = null;
  /** @type {Float32Array | null} */
  let codes = null;
  let busy = false;
  /** @type {[number, number, number, number, number] | null} x, y, event time, px, py */
  let pointer = null;
  /** @type {[number, number, number, number, number] | null} */
  let drawnFor = null;

  /**
   * The code decoded at a map position, and its distance to the nearest test code (not for t-SNE).
   * @param {[number, number]} xy
   * @param {Float32Array} coords
   * @param {Float32Array} allCodes
   * @returns {{code: Float32Array, latent: number | null}}
   */
  function codeAt([x, y], coords, allCodes) {
    let code;
    if (m.projection === "raw" && m.decode !== "affine") {
      code = new Float32Array(dim);
      code[0] = x;
      code[1] = y;
    } else if (m.projection === "pca" || m.projection.startsWith("axes:") || m.decode === "affine") {
      // a plane of chosen axes is decoded as PCA is: its base (+ the slider's offset) and its two directions
      code = pcaInverse(m.pca_mean, m.pca_components, x, y);
    } else {
      return { code: blendNearest(coords, 2, allCodes, dim, [x, y], m.k, new Float32Array(dim)), latent: null };
    }
    return { code, latent: nearest(allCodes, dim, code, 1)[0][1] };
  }

  /** @param {number} x @param {number} y pixels of the pointer */
  function placeBox(x, y) {
    const a = area();
    const right = x > a.width * 0.55 && y < a.height * 0.5; // keep the inset away from the pointer
    const place = right ? [`${a.top + 6}px`, `${a.left + 6 + 90}px`, ""] : [`${a.top + 6}px`, "", `${MARGIN.right + 6}px`]; // beside the zoom buttons
    if (box.dataset.place === place.join()) return; // unchanged: no style written, no layout
    box.dataset.place = place.join();
    Object.assign(box.style, { top: place[0], left: place[1], right: place[2] });
  }

  // The inset's text, written once per animation frame just before it renders (requestAnimationFrame): written
  // right after a decode, it left the layout dirty, and the next pointer event's position read forced a
  // layout of the page (3 ms a move on a phone). Its lines are kept and only their text changes.
  /** @type {[string, string, string | null, boolean] | null} */
  let pendingText = null;
  let textFrame = 0;
  /** @param {[string, string, string | null, boolean]} lines */
  function writeText(lines) {
    pendingText = lines;
    textFrame ||= requestAnimationFrame(() => {
      textFrame = 0;
      if (!pendingText || stopped) return;
      if (!text.querySelector(".vae-hover-xy")) {
        text.innerHTML = `<div><b class="vae-hover-xy"></b></div><div class="vae-hover-map"></div><div class="vae-hover-latent"></div><div class="vae-hover-far" style="color:#b45309"></div>`;
      }
      const [xy, map, latent, far] = pendingText;
      /** @param {string} c @param {string} v */
      const set = (c, v) => {
        const e = /** @type {HTMLElement} */ (text.querySelector(c));
        if (e.textContent !== v) e.textContent = v;
      };
      set(".vae-hover-xy", xy);
      set(".vae-hover-map", map);
      // a map with no inverse (t-SNE, UMAP): which method the picture comes from, where raw and PCA give the code's distance
      set(".vae-hover-latent", latent ?? m.texts.blend.replace("{k}", String(m.k)));
      set(".vae-hover-far", `⚠ ${m.texts.far_short}`);
      /** @type {HTMLElement} */ (text.querySelector(".vae-hover-far")).style.visibility = far ? "visible" : "hidden";
      pendingText = null;
    });
  }

  /**
   * @param {[number, number, number, number, number]} p
   * @param {import("../runtime.js").Net} s
   * @param {Float32Array} coords
   * @param {Float32Array} allCodes
   */
  async function drawHover(p, s, coords, allCodes) {
    busy = true;
    const t0 = performance.now();
    /** @type {[number, number]} */
    const xy = [p[0], p[1]];
    const { code, latent } = codeAt(xy, coords, allCodes);
    const mapDistance = nearest(coords, 2, xy, 1)[0][1];
    const pixels = await s.run(code);
    const image = toImageData(pixels, channels, height, width);
    preview.getContext("2d")?.putImageData(image, 0, 0);
    const mapSpacings = mapDistance / m.map_spacing;
    const latentSpacings = latent === null ? null : latent / m.latent_spacing;
    const far = mapSpacings > m.far || (latentSpacings || 0) > m.far;
    const dec = m.texts.decimal;
    writeText([
      `(${written(xy[0], 2, dec)}${dec === "," ? " ;" : ","} ${written(xy[1], 2, dec)})`,
      `${m.texts.map}: ${written(mapSpacings, 1, dec)}`,
      latentSpacings === null ? null : `${m.texts.latent}: ${written(latentSpacings, 1, dec)}`,
      far,
    ]);
    box.dataset.far = far ? "1" : "0";
    placeBox(p[3], p[4]);
    if (box.style.display !== "flex") box.style.display = "flex";
    record(t0, code, image);
    const drawnAt = performance.now();
    LIVE.lastHover = { x: xy[0], y: xy[1], mapSpacings, latentSpacings, far, drawnAt };
    LIVE.hoverMs ??= [];
    LIVE.hoverMs.push(drawnAt - p[2]); // pointer event → picture drawn
    if (LIVE.hoverMs.length > 1000) LIVE.hoverMs.shift();
    busy = false;
  }

  // One decode at a time, started after an animation frame. When the nets run in a worker (the student
  // edition) and a decode took a frame or more (a phone), the next one starts as soon as it is back, the
  // page's thread being free meanwhile: still at most about one picture per frame, and none lost waiting.
  const hoverStep = () => {
    const coords = St.coords;
    if (stopped || !pointer || pointer === drawnFor || !decoder || !codes || !coords) return;
    if (busy) return hoverLoop.next();
    drawnFor = pointer;
    const t0 = performance.now();
    drawHover(pointer, decoder, coords, codes)
      .catch((e) => {
        LIVE.error = String(e);
        busy = false;
      })
      .finally(() => {
        if (pointer === drawnFor) return;
        if (offThread() && performance.now() - t0 >= FRAME_MS) hoverStep();
        else hoverLoop.next();
      });
  };
  const hoverLoop = afterFrames(hoverStep);

  // ---- pointer: pan, click, hover --------------------------------------------------------------
  /** @type {{px: number, py: number, view: View, moved: boolean, id: number, brush?: number[][], kind?: string} | null} */
  let press = null;
  /** @param {MouseEvent} e @returns {[number, number]} */
  const local = (e) => {
    const r = events.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  /** @param {number} x @param {number} y pixels */
  function nearestPoint(x, y) {
    const { coords, rgba } = St;
    if (!coords || !rgba) return null;
    if (!St.grid || St.gridOf !== coords) {
      St.grid = buildGrid(coords); // once per set of points (a few ms for 10,000)
      St.gridOf = coords;
    }
    return pick(St.grid, coords, rgba, px, fromPx, x, y, HIT_PX);
  }

  /** @param {number} x @param {number} y pixels */
  function click(x, y) {
    const index = nearestPoint(x, y);
    const coords = /** @type {Float32Array} */ (St.coords);
    const [cx, cy] = index === null ? fromPx(x, y) : [coords[2 * index], coords[2 * index + 1]];
    St.pin = [cx, cy, index];
    placePin(); // the pin alone moves: the points' layers stay as they are (a click answers at once)
    MAP.clicks += 1;
    MAP.lastClick = { x: cx, y: cy, index, at: performance.now() };
    setTriggerValue("click", { x: cx, y: cy, index, model: data.model, projection: m.projection });
  }

  // ---- touch: one finger hovers, a tap pins, two fingers pan and pinch ---------------------------
  /** @type {Map<number, [number, number]>} the fingers on the map, plotting-area pixels */
  const fingers = new Map();
  /** @type {{mode: "hover", id: number, px: number, py: number, moved: boolean} | {mode: "pinch", ids: [number, number], from: [[number, number], [number, number]], view: View, zoom: number} | {mode: "done"} | null} */
  let gesture = null;
  let touchedAt = -Infinity; // a double tap is no double click: it does not reset the view

  /** @param {number} x @param {number} y pixels under the finger @param {number} time the event's */
  function hoverAt(x, y, time) {
    if (pointer && pointer[3] === x && pointer[4] === y) return;
    const [mx, my] = fromPx(x, y);
    pointer = [mx, my, time, x, y];
    hoverLoop.next();
  }

  function startPinch() {
    const ids = /** @type {[number, number]} */ ([...fingers.keys()].slice(0, 2));
    const from = /** @type {[[number, number], [number, number]]} */ (ids.map((i) => [.../** @type {[number, number]} */ (fingers.get(i))]));
    gesture = { mode: "pinch", ids, from, view: { ...view() }, zoom: St.zoom || 1 };
    pointer = null; // a pinch decodes nothing: drop a finger's pending hover
    hoverLoop.cancel();
    MAP.pinches = /** @type {number} */ (MAP.pinches || 0) + 1;
  }

  /** @param {PointerEvent} e */
  function onTouchDown(e) {
    if (!St.view) return;
    e.preventDefault();
    fingers.set(e.pointerId, local(e));
    touchedAt = performance.now();
    if (fingers.size === 1 && gesture === null) {
      const [x, y] = local(e);
      gesture = { mode: "hover", id: e.pointerId, px: x, py: y, moved: false };
      hoverAt(x, y, e.timeStamp);
    } else if (fingers.size >= 2) {
      startPinch();
    }
  }
  /** @param {PointerEvent} e */
  function onTouchMove(e) {
    if (!St.view || !fingers.has(e.pointerId)) return;
    e.preventDefault();
    const [x, y] = local(e);
    fingers.set(e.pointerId, [x, y]);
    if (gesture?.mode === "hover" && gesture.id === e.pointerId) {
      if (!gesture.moved && Math.hypot(x - gesture.px, y - gesture.py) >= TAP_SLOP_PX) gesture.moved = true;
      hoverAt(x, y, e.timeStamp);
    } else if (gesture?.mode === "pinch" && gesture.ids.includes(e.pointerId)) {
      const g = gesture;
      const to = /** @type {[[number, number], [number, number]]} */ (g.ids.map((i) => /** @type {[number, number]} */ (fingers.get(i))));
      const { view: v, factor } = pinched(g.view, area(), g.from, to);
      St.view = v;
      St.zoom = g.zoom * factor;
      redraw.next();
    }
  }
  /** @param {PointerEvent} e */
  function onTouchUp(e) {
    if (!fingers.has(e.pointerId)) return;
    const [x, y] = local(e);
    fingers.delete(e.pointerId);
    const g = gesture;
    if (g?.mode === "hover" && g.id === e.pointerId) {
      gesture = null;
      if (e.type === "pointerup" && !g.moved && Math.hypot(x - g.px, y - g.py) < TAP_SLOP_PX) click(x, y); // a tap
    } else if (g?.mode === "pinch") {
      // a finger lifted: the one left does nothing until all are up (no hover, no tap)
      gesture = fingers.size >= 2 ? g : fingers.size ? { mode: "done" } : null;
      if (fingers.size >= 2) startPinch();
    }
    if (!fingers.size) gesture = null;
  }

  // ---- brushing: with the box or lasso button pressed, a drag draws a region; its release sends it -
  /**
   * The region being drawn, in plotting-area pixels: a box from its two corners, a lasso as drawn.
   * @param {number[][]} path @param {string} kind
   * @returns {number[][]}
   */
  const corners = (path, kind) => {
    if (kind !== "box") return path;
    const [[x0, y0], [x1, y1]] = [path[0], path[path.length - 1]];
    return [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ];
  };
  /** @param {number[][]} path @param {string} kind */
  function drawBrushing(path, kind) {
    const ctx = ctx2d();
    const a = area();
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#b45309";
    ctx.beginPath();
    corners(path, kind).forEach(([x, y], i) => {
      if (i) ctx.lineTo(a.left + x, a.top + y);
      else ctx.moveTo(a.left + x, a.top + y);
    });
    ctx.closePath();
    ctx.stroke();
    ctx.restore();
  }
  /** @param {number[][]} path @param {string} kind */
  function sendBrush(path, kind) {
    const shape = corners(path, kind);
    const xs = shape.map((p) => p[0]);
    const ys = shape.map((p) => p[1]);
    if (Math.max(...xs) - Math.min(...xs) < 3 || Math.max(...ys) - Math.min(...ys) < 3) return false; // a click, not a region
    const polygon = shape.map(([x, y]) => fromPx(x, y).map((v) => Math.round(v * 1e4) / 1e4));
    MAP.brushes = /** @type {number} */ (MAP.brushes || 0) + 1;
    MAP.lastBrush = polygon;
    setTriggerValue("brush", { polygon, kind, model: data.model, projection: m.projection });
    return true;
  }

  /** @param {PointerEvent} e */
  function onDown(e) {
    if (e.pointerType === "touch") return onTouchDown(e);
    if (e.button !== 0 || !St.view) return;
    const [x, y] = local(e);
    press = { px: x, py: y, view: { ...St.view }, moved: false, id: e.pointerId };
    if (m.brush && St.brushMode) Object.assign(press, { brush: [[x, y]], kind: St.brushMode });
    events.setPointerCapture(e.pointerId);
  }
  /** @param {PointerEvent} e */
  function onMove(e) {
    if (e.pointerType === "touch") return onTouchMove(e);
    if (!St.view) return;
    const [x, y] = local(e);
    if (press?.brush) {
      const last = press.brush[press.brush.length - 1];
      if (Math.hypot(x - last[0], y - last[1]) < 2) return;
      if (press.kind === "box") press.brush = [press.brush[0], [x, y]];
      else press.brush.push([x, y]);
      press.moved = true;
      redraw.next(); // the layers, then the region so far over them
      return;
    }
    if (press) {
      if (!press.moved && Math.hypot(x - press.px, y - press.py) < CLICK_SLOP_PX) return;
      press.moved = true;
      St.view = panned(press.view, area(), x - press.px, y - press.py);
      redraw.next();
      return;
    }
    if (pointer && pointer[3] === x && pointer[4] === y) return; // the same spot: nothing new to draw
    const [mx, my] = fromPx(x, y);
    pointer = [mx, my, e.timeStamp, x, y];
    hoverLoop.next();
  }
  /** @param {PointerEvent} e */
  function onUp(e) {
    if (e.pointerType === "touch") return onTouchUp(e);
    if (!press) return;
    const brushed = press.brush && press.moved ? sendBrush(press.brush, press.kind || "box") : false;
    const wasClick = !press.moved && !brushed;
    press = null;
    if (events.hasPointerCapture(e.pointerId)) events.releasePointerCapture(e.pointerId);
    if (wasClick) {
      const [x, y] = local(e);
      click(x, y);
    }
  }
  /** @param {WheelEvent} e */
  function onWheel(e) {
    if (!St.view) return;
    e.preventDefault();
    const [x, y] = local(e);
    zoomAt(Math.exp(-e.deltaY * 0.0015), x, y);
  }
  St.on = {
    down: onDown,
    move: onMove,
    up: onUp,
    wheel: onWheel,
    dblclick: () => {
      if (performance.now() - touchedAt > 1000) reset();
    },
    resize: () => {
      size = null;
      redraw.next();
    },
  };

  // ---- the map's interface for tests and benchmarks --------------------------------------------
  // window.__vaeMap only where the page asked for telemetry (runtime.js); otherwise this run's own
  const w = /** @type {Window & {__vaeMap?: MapProbe}} */ (window);
  /** @type {MapProbe} */
  const own = { renders: 0, clicks: 0, firstDrawnAt: null, facesDrawn: 0 };
  if (TELEMETRY) w.__vaeMap ??= own;
  const MAP = m.slot ? own : (w.__vaeMap ?? own); // a page's linked maps each have their own (window.__vaeMaps[slot])
  if (TELEMETRY && m.slot) {
    const maps = /** @type {Window & {__vaeMaps?: Record<string, MapProbe>}} */ (window);
    maps.__vaeMaps ??= {};
    maps.__vaeMaps[m.slot] = own;
  }
  Object.assign(MAP, {
    plot: events,
    model: data.model,
    projection: m.projection,
    renderer: St.gl ? "webgl" : "2d",
    ready: () => !!(St.coords && St.colours && St.view && MAP.renders > 0),
    /** @param {number} x @param {number} y */
    toPixel: (x, y) => px(x, y),
    /** @param {number} x @param {number} y */
    fromPixel: (x, y) => fromPx(x, y),
    ranges: () => [
      [view().x0, view().x1],
      [view().y0, view().y1],
    ],
    overlays: () => (m.overlays || []).map((o) => [o.name, o.points.length / 2]), // sample overlays drawn
    overlayPoints: () => (m.overlays || []).map((o) => o.points), // their map positions
    /** @param {string | null} mode */
    setBrush: (mode) => brushing?.set(mode),
    pixels: () => {
      // visible test points in plotting-area pixels, with their group's name
      /** @type {[number, number, string, number][]} */
      const out = [];
      const { coords, rgba, colours } = St;
      if (!coords || !rgba || !colours) return out;
      for (let i = 0; i < coords.length / 2; i++) {
        if (rgba[4 * i + 3] === 0) continue;
        out.push([...px(coords[2 * i], coords[2 * i + 1]), m.groups[colours[4 * i + 3]]?.[0] ?? "", i]);
      }
      return out;
    },
    /** @param {number} clientX @param {number} clientY */
    hit: (clientX, clientY) => {
      // whether a click at these page pixels lands on the map itself
      const root = /** @type {Document | ShadowRoot} */ (events.getRootNode());
      const e = (typeof root.elementFromPoint === "function" ? root : document).elementFromPoint(clientX, clientY);
      return e === events;
    },
  });

  // ---- data ------------------------------------------------------------------------------------
  buildLegend(legend, m, St.hidden, () => {
    if (St.colours) uploadPoints();
    redraw.next();
  });
  const brushing = m.brush
    ? {
        mode: () => St.brushMode ?? null,
        /** @param {string | null} mode */
        set: (mode) => {
          St.brushMode = mode;
          events.style.cursor = mode ? "cell" : "crosshair";
        },
      }
    : null;
  buildTools(tools, m.texts, { zoomIn: () => zoomCentre(1.5), zoomOut: () => zoomCentre(1 / 1.5), reset }, brushing);
  /** @type {[Float32Array | Promise<Float32Array>, Uint8Array | Promise<Uint8Array>]} */
  const wanted = [
    St.coords && St.coordsUrl === m.coords ? St.coords : floats(m.coords),
    St.coloursUrl === m.colours && St.colours ? St.colours : bytes(m.colours),
  ];
  Promise.all(wanted)
    .then(([coords, colours]) => {
      if (stopped) return;
      const fresh = St.coords !== coords || St.colours !== colours;
      St.coords = coords;
      St.coordsUrl = m.coords;
      St.colours = colours;
      St.coloursUrl = m.colours;
      if (fresh || !St.rgba) uploadPoints();

      if (m.faces && (!St.sprite || St.spriteUrl !== m.faces.url)) {
        const sprite = new Image();
        St.sprite = sprite;
        St.spriteUrl = m.faces.url;
        sprite.onload = () => redraw.next();
        sprite.src = absolute(m.faces.url);
      }
      if (!m.faces) St.sprite = null;
      // a rerun for a click: only the pin may move (the server's answer)
      if (!fresh && St.look === look && St.view) placePin();
      else redraw.next();
    })
    .catch((e) => {
      LIVE.error = String(e);
    });

  Promise.all([net(data.runtime, data.decoder), floats(m.codes)])
    .then((loaded) => {
      [decoder, codes] = loaded;
      if (stopped) return;
      LIVE.status = "ready";
      LIVE.model = data.model;
      if (pointer) hoverLoop.next();
    })
    .catch((e) => {
      LIVE.status = "server"; // clicks still go to the server, which decodes
      LIVE.error = String(e);
    });

  // One run at a time draws and answers (only(), runtime.js).
  return only(m.slot ? `map:${m.slot}` : "map", () => {
    stopped = true;
    if (textFrame) cancelAnimationFrame(textFrame);
    redraw.cancel();
    hoverLoop.cancel();
  });
}
