// @ts-check
// The latent map: the encoded test set drawn in the browser (renderer.js: WebGL, or a 2-D canvas
// where WebGL is unavailable), coloured as the server says (ui.components.figures.map_colouring: one
// RGBA + group byte per point, fetched once); drag pans, the wheel or the +/− buttons zoom, a double
// click or ⟲ resets the view (view.js). Hovering decodes the location under the pointer in the
// browser on every animation frame (raw: that z; PCA: the exact inverse; t-SNE: the
// inverse-distance blend of the k nearest test codes on the map) and draws it in an inset with the
// honesty cue (vae.artifacts.atlas.code_at's distances in typical neighbour spacings). A click pins
// the spot at once and sends it to Python once, as {x, y, index} (index: the test point within a few
// pixels, picking.js, or null), which answers with the details panel. Hovering and panning send
// nothing. On a CelebA map, the faces mode draws each test point as its face (a sprite sheet).

import { blendNearest, nearest, pcaInverse } from "../maths.js";
import { absolute, bytes, decodeOne, floats, frames, LIVE, loadRuntime, only, record, session, TELEMETRY, toImageData } from "../runtime.js";
import { buildGrid, pick } from "./picking.js";
import { createGl, draw2d, drawGl, upload, visibleAlpha } from "./renderer.js";
import { fitView, fromPixel, MARGIN, niceTicks, panned, plotArea, toPixel, zoomed } from "./view.js";

/** @typedef {import("../types.js").LatentMapPayload} LatentMapPayload */
/** @typedef {import("./view.js").View} View */
/** @typedef {import("./view.js").Area} Area */

const CLICK_SLOP_PX = 4;
const HIT_PX = 7;
const FACE_PX = 20;

/**
 * The map's DOM and what it keeps across reruns (a click reruns the fragment: the view, the loaded
 * arrays and the WebGL buffers stay).
 * @typedef {object} MapState
 * @property {HTMLElement} root
 * @property {HTMLElement} plot
 * @property {HTMLCanvasElement} glCanvas
 * @property {HTMLCanvasElement} overlay
 * @property {HTMLElement} events
 * @property {import("./renderer.js").GlPoints | null} gl
 * @property {Record<string, (e: any) => void> | null} on this run's handlers
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
 * @property {import("./picking.js").Grid | null} grid the picking index of `coords`
 * @property {Float32Array | null} gridOf the coords it was built from
 * @property {HTMLImageElement | null} sprite
 * @property {string} [spriteUrl]
 */

/**
 * The map's interface for tests and benchmarks (window.__vaeMap).
 * @typedef {{renders: number, clicks: number, firstDrawnAt: number | null, facesDrawn: number, [key: string]: unknown}} MapProbe
 */

/**
 * @param {HTMLElement} parentElement
 * @param {number} tallest
 * @returns {MapState}
 */
function buildMap(parentElement, tallest) {
  const height = Math.round(Math.max(360, Math.min(tallest, window.innerHeight - 130))); // whole on a 720-px projector
  const root = document.createElement("div");
  root.className = "vae-map";
  root.innerHTML = `
    <div class="vae-map-legend" style="display:flex;flex-wrap:wrap;align-items:center;gap:4px 14px;min-height:1.6em;font-size:0.85em;margin-bottom:4px"></div>
    <div class="vae-map-plot" style="position:relative;width:100%;height:${height}px;touch-action:none;user-select:none">
      <canvas class="vae-map-gl" style="position:absolute;left:0;top:0;width:100%;height:100%"></canvas>
      <canvas class="vae-map-overlay" style="position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none"></canvas>
      <div class="vae-map-events" style="position:absolute;cursor:crosshair"></div>
      <div class="vae-map-tools" style="position:absolute;display:flex;gap:4px"></div>
      <div class="vae-live-hover" style="position:absolute;display:none;gap:10px;align-items:center;padding:6px 8px;background:rgba(255,255,255,0.93);border:1px solid #ccc;border-radius:6px;font-size:0.8em;line-height:1.3;max-width:300px;pointer-events:none;box-shadow:0 1px 4px rgba(0,0,0,0.15)">
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
  /** @param {string} type @param {AddEventListenerOptions} [options] */
  const on = (type, options) =>
    state.events.addEventListener(type, (e) => state.on?.[type === "pointercancel" ? "up" : type.replace("pointer", "")](e), options);
  on("pointerdown");
  on("pointermove");
  on("pointerup");
  on("pointercancel");
  on("wheel", { passive: false });
  on("dblclick");
  new ResizeObserver(() => state.on?.resize(null)).observe(state.plot);
  return state;
}

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
  const { plot, glCanvas, overlay, events } = St;
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
  if (St.serverPin !== serverPin) {
    St.serverPin = serverPin;
    St.pin = m.pin;
  }

  // ---- geometry (view.js) -----------------------------------------------------------------------
  const area = () => plotArea(plot.clientWidth, plot.clientHeight);
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
    if (St.gl) drawGl(St.gl, coords.length / 2, view(), a, plot.clientHeight, dpr, pointSize());
    else draw2d(ctx2d(), coords, rgba, px, a, pointSize(), OPACITY);
  }

  /** @param {CanvasRenderingContext2D} ctx @param {Area} a */
  function drawAxes(ctx, a) {
    const style = getComputedStyle(St.root);
    const font = parseFloat(style.fontSize) || 16;
    const tick = Math.round(font * 0.75);
    ctx.strokeStyle = "rgba(0,0,0,0.08)";
    ctx.fillStyle = style.color || "#333";
    ctx.font = `${tick}px ${style.fontFamily}`;
    ctx.lineWidth = 1;
    const v = view();
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const [x, label] of niceTicks(v.x0, v.x1, Math.max(3, Math.floor(a.width / 90)))) {
      const p = a.left + px(x, 0)[0];
      ctx.beginPath();
      ctx.moveTo(p, a.top);
      ctx.lineTo(p, a.top + a.height);
      ctx.stroke();
      ctx.fillText(label.replace("-", "−"), p, a.top + a.height + 4);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const [y, label] of niceTicks(v.y0, v.y1, Math.max(3, Math.floor(a.height / 70)))) {
      const p = a.top + px(0, y)[1];
      ctx.beginPath();
      ctx.moveTo(a.left, p);
      ctx.lineTo(a.left + a.width, p);
      ctx.stroke();
      ctx.fillText(label.replace("-", "−"), a.left - 5, p);
    }
    ctx.strokeStyle = "rgba(0,0,0,0.35)";
    ctx.strokeRect(a.left + 0.5, a.top + 0.5, a.width - 1, a.height - 1);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(m.axes[0], a.left + a.width / 2, a.top + a.height + MARGIN.bottom - 2);
    ctx.save();
    ctx.translate(14, a.top + a.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(m.axes[1], 0, 0);
    ctx.restore();
  }

  /** @param {number} dpr @param {Area} a */
  function drawOverlay(dpr, a) {
    const ctx = ctx2d();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    drawAxes(ctx, a);
    ctx.save();
    ctx.beginPath();
    ctx.rect(a.left, a.top, a.width, a.height);
    ctx.clip();
    if (m.circles) {
      // the prior's 1σ and 2σ circles: where N(0, I) puts 39 % and 86 % of its mass
      ctx.strokeStyle = "rgba(0,0,0,0.45)";
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1.5;
      for (const r of [1, 2]) {
        const [cx, cy] = px(0, 0);
        const [ex] = px(r, 0);
        ctx.beginPath();
        ctx.arc(a.left + cx, a.top + cy, Math.abs(ex - cx), 0, 2 * Math.PI);
        ctx.stroke();
        const [lx, ly] = px(r * Math.SQRT1_2, r * Math.SQRT1_2);
        ctx.fillStyle = "rgba(0,0,0,0.6)";
        ctx.fillText(`${r}σ`, a.left + lx + 8, a.top + ly);
      }
      ctx.setLineDash([]);
    }
    ctx.restore();
  }

  /** @param {Area} a @param {Float32Array} coords @param {Uint8Array} rgba */
  function drawFaces(a, coords, rgba) {
    const faces = m.faces;
    const sprite = St.sprite;
    if (!faces || !sprite?.complete || !sprite.naturalWidth) return 0;
    const ctx = ctx2d();
    const n = coords.length / 2;
    const perRow = Math.ceil(Math.sqrt(n));
    const shown = FACE_PX * Math.min(3, Math.sqrt(St.zoom || 1));
    ctx.save();
    ctx.beginPath();
    ctx.rect(a.left, a.top, a.width, a.height);
    ctx.clip();
    let drawn = 0;
    for (let i = 0; i < n; i++) {
      if (rgba[4 * i + 3] === 0) continue;
      const [x, y] = px(coords[2 * i], coords[2 * i + 1]);
      if (x < -shown || y < -shown || x > a.width + shown || y > a.height + shown) continue;
      const sx = (i % perRow) * faces.side;
      const sy = Math.floor(i / perRow) * faces.side;
      ctx.drawImage(sprite, sx, sy, faces.side, faces.side, a.left + x - shown / 2, a.top + y - shown / 2, shown, shown);
      drawn += 1;
    }
    ctx.restore();
    return drawn;
  }

  /** Samples drawn over the test points (ui.components.figures.sample_overlays): small crosses. @param {Area} a */
  function drawOverlays(a) {
    const ctx = ctx2d();
    ctx.save();
    ctx.beginPath();
    ctx.rect(a.left, a.top, a.width, a.height);
    ctx.clip();
    ctx.lineWidth = 1.6;
    for (const o of m.overlays || []) {
      ctx.strokeStyle = o.colour;
      ctx.beginPath();
      for (let i = 0; i < o.points.length; i += 2) {
        const [x0, y0] = px(o.points[i], o.points[i + 1]);
        const x = a.left + x0;
        const y = a.top + y0;
        ctx.moveTo(x - 3, y - 3);
        ctx.lineTo(x + 3, y + 3);
        ctx.moveTo(x - 3, y + 3);
        ctx.lineTo(x + 3, y - 3);
      }
      ctx.stroke();
    }
    ctx.restore();
  }

  /** @param {Area} a */
  function drawPin(a) {
    if (!St.pin) return;
    const ctx = ctx2d();
    const [x0, y0] = px(St.pin[0], St.pin[1]);
    if (x0 < 0 || y0 < 0 || x0 > a.width || y0 > a.height) return;
    const x = a.left + x0;
    const y = a.top + y0;
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    ctx.arc(x, y, PIN_PX / 2 + 2, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#111";
    ctx.beginPath();
    ctx.arc(x, y, PIN_PX / 2 + 2, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x - PIN_PX, y);
    ctx.lineTo(x - 4, y);
    ctx.moveTo(x + 4, y);
    ctx.lineTo(x + PIN_PX, y);
    ctx.moveTo(x, y - PIN_PX);
    ctx.lineTo(x, y - 4);
    ctx.moveTo(x, y + 4);
    ctx.lineTo(x, y + PIN_PX);
    ctx.stroke();
  }

  function render() {
    const { coords, colours, rgba } = St;
    if (!coords || !colours || !rgba || stopped) return;
    const dpr = window.devicePixelRatio || 1;
    const w = plot.clientWidth;
    const h = plot.clientHeight;
    if (!w || !h) return;
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
    drawOverlay(dpr, a);
    drawPoints(dpr, a, coords, rgba);
    MAP.facesDrawn = drawFaces(a, coords, rgba);
    LIVE.facesDrawn = MAP.facesDrawn;
    drawOverlays(a);
    drawPin(a);
    MAP.renders += 1;
    if (MAP.firstDrawnAt === null) MAP.firstDrawnAt = performance.now();
  }
  const redraw = frames(render);

  // ---- legend and tools ------------------------------------------------------------------------
  function buildLegend() {
    legend.textContent = "";
    for (const o of m.overlays || []) {
      const item = document.createElement("span");
      item.className = "vae-map-overlay-key";
      item.style.cssText = "display:inline-flex;align-items:center;gap:5px";
      item.innerHTML = `<span style="color:${o.colour};font-weight:700">✕</span><span></span>`;
      /** @type {Node} */ (item.lastChild).textContent = o.name;
      legend.appendChild(item);
    }
    if (m.scale) {
      const bar = document.createElement("span");
      bar.style.cssText = `display:inline-block;width:160px;height:10px;border-radius:2px;background:linear-gradient(to right, ${m.scale.stops.join(",")})`;
      const lo = document.createElement("span");
      const hi = document.createElement("span");
      lo.textContent = m.scale.lo;
      hi.textContent = `${m.scale.hi} ${m.scale.title}`;
      legend.prepend(lo, bar, hi);
      return;
    }
    m.groups.forEach(([name, colour], g) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "vae-map-group";
      item.dataset.group = String(g);
      item.style.cssText = "all:unset;cursor:pointer;display:inline-flex;align-items:center;gap:5px";
      item.innerHTML = `<span style="width:10px;height:10px;border-radius:50%;background:${colour}"></span><span></span>`;
      /** @type {Node} */ (item.lastChild).textContent = name;
      item.style.opacity = St.hidden.has(g) ? "0.35" : "1";
      item.title = m.texts.legend;
      item.onclick = () => {
        if (St.hidden.has(g)) St.hidden.delete(g);
        else St.hidden.add(g);
        item.style.opacity = St.hidden.has(g) ? "0.35" : "1";
        if (St.colours) uploadPoints();
        redraw.next();
      };
      legend.insertBefore(item, legend.querySelector(".vae-map-overlay-key"));
    });
  }

  /** @param {number} factor @param {number} x @param {number} y pixels */
  function zoomAt(factor, x, y) {
    St.view = zoomed(view(), area(), factor, x, y);
    St.zoom = (St.zoom || 1) * factor;
    redraw.next();
  }

  function buildTools() {
    tools.textContent = "";
    /** @type {[string, string, () => void][]} */
    const buttons = [
      [
        "+",
        m.texts.zoom_in,
        () => {
          const a = area();
          zoomAt(1.5, a.width / 2, a.height / 2);
        },
      ],
      [
        "−",
        m.texts.zoom_out,
        () => {
          const a = area();
          zoomAt(1 / 1.5, a.width / 2, a.height / 2);
        },
      ],
      [
        "⟲",
        m.texts.reset,
        () => {
          resetView();
          redraw.next();
        },
      ],
    ];
    for (const [label, title, act] of buttons) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.title = title;
      b.setAttribute("aria-label", title);
      b.style.cssText =
        "width:1.8em;height:1.8em;border:1px solid #bbb;border-radius:4px;background:rgba(255,255,255,0.9);cursor:pointer;font-size:0.95em;line-height:1;padding:0;color:#333";
      b.onclick = act;
      tools.appendChild(b);
    }
  }

  // ---- hover: decode under the pointer ---------------------------------------------------------
  /** @type {import("../runtime.js").Session | null} */
  let decoder = null;
  /** @type {Float32Array | null} */
  let codes = null;
  /** @type {import("../runtime.js").Ort | null} */
  let ORT = null;
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
    if (m.projection === "raw") {
      code = new Float32Array(dim);
      code[0] = x;
      code[1] = y;
    } else if (m.projection === "pca") {
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
    Object.assign(box.style, { top: `${a.top + 6}px`, left: right ? `${a.left + 6}px` : "", right: right ? "" : `${MARGIN.right + 6}px` });
    if (right) box.style.left = `${a.left + 6 + 90}px`; // beside the zoom buttons
  }

  /**
   * @param {[number, number, number, number, number]} p
   * @param {import("../runtime.js").Ort} ort
   * @param {import("../runtime.js").Session} s
   * @param {Float32Array} coords
   * @param {Float32Array} allCodes
   */
  async function drawHover(p, ort, s, coords, allCodes) {
    busy = true;
    const t0 = performance.now();
    /** @type {[number, number]} */
    const xy = [p[0], p[1]];
    const { code, latent } = codeAt(xy, coords, allCodes);
    const mapDistance = nearest(coords, 2, xy, 1)[0][1];
    const pixels = await decodeOne(ort, s, code);
    const image = toImageData(pixels, channels, height, width);
    preview.getContext("2d")?.putImageData(image, 0, 0);
    const mapSpacings = mapDistance / m.map_spacing;
    const latentSpacings = latent === null ? null : latent / m.latent_spacing;
    const far = mapSpacings > m.far || (latentSpacings || 0) > m.far;
    const html =
      `<b>(${xy[0].toFixed(2)}, ${xy[1].toFixed(2)})</b><br>` +
      `${m.texts.map}: ${mapSpacings.toFixed(1)}` +
      (latentSpacings === null ? "" : `<br>${m.texts.latent}: ${latentSpacings.toFixed(1)}`) +
      `<br><span style="color:#b45309;visibility:${far ? "visible" : "hidden"}">⚠ ${m.texts.far_short}</span>`;
    if (text.innerHTML !== html) text.innerHTML = html;
    box.dataset.far = far ? "1" : "0";
    placeBox(p[3], p[4]);
    box.style.display = "flex";
    record(t0, code, image);
    const drawnAt = performance.now();
    LIVE.lastHover = { x: xy[0], y: xy[1], mapSpacings, latentSpacings, far, drawnAt };
    LIVE.hoverMs ??= [];
    LIVE.hoverMs.push(drawnAt - p[2]); // pointer event → picture drawn
    if (LIVE.hoverMs.length > 1000) LIVE.hoverMs.shift();
    busy = false;
  }

  const hoverLoop = frames(() => {
    const coords = St.coords;
    if (stopped || !pointer || pointer === drawnFor || !decoder || !ORT || !codes || !coords) return;
    if (busy) return hoverLoop.next();
    drawnFor = pointer;
    drawHover(pointer, ORT, decoder, coords, codes)
      .catch((e) => {
        LIVE.error = String(e);
        busy = false;
      })
      .finally(() => {
        if (pointer !== drawnFor) hoverLoop.next();
      });
  });

  // ---- pointer: pan, click, hover --------------------------------------------------------------
  /** @type {{px: number, py: number, view: View, moved: boolean, id: number} | null} */
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
    redraw.next();
    MAP.clicks += 1;
    MAP.lastClick = { x: cx, y: cy, index, at: performance.now() };
    setTriggerValue("click", { x: cx, y: cy, index, model: data.model, projection: m.projection });
  }

  /** @param {PointerEvent} e */
  function onDown(e) {
    if (e.button !== 0 || !St.view) return;
    const [x, y] = local(e);
    press = { px: x, py: y, view: { ...St.view }, moved: false, id: e.pointerId };
    events.setPointerCapture(e.pointerId);
  }
  /** @param {PointerEvent} e */
  function onMove(e) {
    if (!St.view) return;
    const [x, y] = local(e);
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
    if (!press) return;
    const wasClick = !press.moved;
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
  function onDouble() {
    resetView();
    redraw.next();
  }
  St.on = { down: onDown, move: onMove, up: onUp, wheel: onWheel, dblclick: onDouble, resize: () => redraw.next() };

  // ---- the map's interface for tests and benchmarks --------------------------------------------
  // window.__vaeMap only where the page asked for telemetry (runtime.js); otherwise this run's own
  const w = /** @type {Window & {__vaeMap?: MapProbe}} */ (window);
  /** @type {MapProbe} */
  const own = { renders: 0, clicks: 0, firstDrawnAt: null, facesDrawn: 0 };
  if (TELEMETRY) w.__vaeMap ??= own;
  const MAP = w.__vaeMap ?? own;
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
  buildLegend();
  buildTools();
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
      redraw.next();
    })
    .catch((e) => {
      LIVE.error = String(e);
    });

  loadRuntime(data.runtime)
    .then(async (ort) => {
      ORT = ort;
      [decoder, codes] = await Promise.all([session(ort, data.decoder), floats(m.codes)]);
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
  return only("map", () => {
    stopped = true;
    redraw.cancel();
    hoverLoop.cancel();
  });
}
