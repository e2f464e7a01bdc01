// @ts-check
// What the map draws on its 2-D overlay canvas, over the points: the axes with round ticks, the
// prior's circles (raw z), the faces (CelebA's faces mode), the sample overlays and the pin.

import { MARGIN, niceTicks } from "./view.js";

/** @typedef {import("./view.js").View} View */
/** @typedef {import("./view.js").Area} Area */
/**
 * One frame's drawing context: the overlay's 2-D context, the plotting area and map → pixel.
 * @typedef {{ctx: CanvasRenderingContext2D, a: Area, px: (x: number, y: number) => [number, number]}} Frame
 */

const FACE_PX = 20; // a face's side at zoom 1, CSS px

/**
 * The frame, the axes and, with `circles`, the prior's 1σ and 2σ circles; the canvas cleared first.
 * @param {Frame} f
 * @param {number} dpr
 * @param {View} v
 * @param {string[]} axes the axes' titles
 * @param {HTMLElement} root whose font and colour the labels take
 * @param {boolean} circles
 * @param {string} decimal the tick labels' decimal mark
 */
export function drawBackdrop(f, dpr, v, axes, root, circles, decimal) {
  const { ctx, a, px } = f;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  drawAxes(f, v, axes, root, decimal);
  ctx.save();
  ctx.beginPath();
  ctx.rect(a.left, a.top, a.width, a.height);
  ctx.clip();
  if (circles) {
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

/**
 * @param {Frame} f
 * @param {View} v
 * @param {string[]} axes
 * @param {HTMLElement} root
 * @param {string} decimal
 */
function drawAxes(f, v, axes, root, decimal) {
  const { ctx, a, px } = f;
  const style = getComputedStyle(root);
  const font = parseFloat(style.fontSize) || 16;
  const tick = Math.round(font * 0.75);
  ctx.strokeStyle = "rgba(0,0,0,0.08)";
  ctx.fillStyle = style.color || "#333";
  ctx.font = `${tick}px ${style.fontFamily}`;
  ctx.lineWidth = 1;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const [x, label] of niceTicks(v.x0, v.x1, Math.max(3, Math.floor(a.width / 90)), decimal)) {
    const p = a.left + px(x, 0)[0];
    ctx.beginPath();
    ctx.moveTo(p, a.top);
    ctx.lineTo(p, a.top + a.height);
    ctx.stroke();
    ctx.fillText(label, p, a.top + a.height + 4);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const [y, label] of niceTicks(v.y0, v.y1, Math.max(3, Math.floor(a.height / 70)), decimal)) {
    const p = a.top + px(0, y)[1];
    ctx.beginPath();
    ctx.moveTo(a.left, p);
    ctx.lineTo(a.left + a.width, p);
    ctx.stroke();
    ctx.fillText(label, a.left - 5, p);
  }
  ctx.strokeStyle = "rgba(0,0,0,0.35)";
  ctx.strokeRect(a.left + 0.5, a.top + 0.5, a.width - 1, a.height - 1);
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(axes[0], a.left + a.width / 2, a.top + a.height + MARGIN.bottom - 2);
  ctx.save();
  ctx.translate(14, a.top + a.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(axes[1], 0, 0);
  ctx.restore();
}

/**
 * Each visible point drawn as its face from the sprite sheet (ceil(√N) faces per row, in atlas order),
 * larger as the view zooms in. → how many were drawn.
 * @param {Frame} f
 * @param {Float32Array} coords
 * @param {Uint8Array} rgba
 * @param {HTMLImageElement | null} sprite
 * @param {{side: number} | null} faces
 * @param {number} zoom
 */
export function drawFaces(f, coords, rgba, sprite, faces, zoom) {
  if (!faces || !sprite?.complete || !sprite.naturalWidth) return 0;
  const { ctx, a, px } = f;
  const n = coords.length / 2;
  const perRow = Math.ceil(Math.sqrt(n));
  const shown = FACE_PX * Math.min(3, Math.sqrt(zoom || 1));
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

/**
 * Samples drawn over the test points (ui.components.figures.sample_overlays): small crosses.
 * @param {Frame} f
 * @param {{colour: string, points: number[], marker?: string}[]} overlays
 */
export function drawSamples(f, overlays) {
  const { ctx, a, px } = f;
  ctx.save();
  ctx.beginPath();
  ctx.rect(a.left, a.top, a.width, a.height);
  ctx.clip();
  ctx.lineWidth = 1.6;
  for (const o of overlays) {
    if (o.marker === "star") {
      drawStars(f, o);
      continue;
    }
    if (o.marker === "ring") {
      drawRings(f, o);
      continue;
    }
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

/**
 * An overlay drawn as rings (the test images brushed on a linked map), white-rimmed over the points.
 * @param {Frame} f
 * @param {{colour: string, points: number[]}} o
 */
function drawRings(f, o) {
  const { ctx, a, px } = f;
  for (const [width, colour] of /** @type {[number, string][]} */ ([
    [3.2, "#fff"],
    [1.6, o.colour],
  ])) {
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (let i = 0; i < o.points.length; i += 2) {
      const [x0, y0] = px(o.points[i], o.points[i + 1]);
      ctx.moveTo(a.left + x0 + 4, a.top + y0);
      ctx.arc(a.left + x0, a.top + y0, 4, 0, 2 * Math.PI);
    }
    ctx.stroke();
  }
}

/**
 * A brushed region's outline (a polygon in map units), dashed.
 * @param {Frame} f
 * @param {number[][]} corners
 */
export function drawRegion(f, corners) {
  const { ctx, a, px } = f;
  if (corners.length < 2) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(a.left, a.top, a.width, a.height);
  ctx.clip();
  ctx.setLineDash([5, 4]);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#111";
  ctx.beginPath();
  corners.forEach(([x, y], i) => {
    const [x0, y0] = px(x, y);
    if (i === 0) ctx.moveTo(a.left + x0, a.top + y0);
    else ctx.lineTo(a.left + x0, a.top + y0);
  });
  ctx.closePath();
  ctx.stroke();
  ctx.restore();
}

/**
 * An overlay drawn as stars (the student edition's drawn digit), white-rimmed over the points.
 * @param {Frame} f
 * @param {{colour: string, points: number[]}} o
 */
function drawStars(f, o) {
  const { ctx, a, px } = f;
  ctx.font = "bold 26px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineWidth = 3;
  ctx.strokeStyle = "#fff";
  ctx.fillStyle = o.colour;
  for (let i = 0; i < o.points.length; i += 2) {
    const [x0, y0] = px(o.points[i], o.points[i + 1]);
    ctx.strokeText("★", a.left + x0, a.top + y0);
    ctx.fillText("★", a.left + x0, a.top + y0);
  }
}

/**
 * The pin: a ringed cross centred on (x, y) of `ctx` (CSS px), `size` CSS px from centre to arm's end.
 * Drawn once on the pin's own small canvas (map.js moves that canvas): a click then changes a few
 * hundred pixels, not the whole map's layers.
 * @param {CanvasRenderingContext2D} ctx
 * @param {number} x
 * @param {number} y
 * @param {number} size
 */
export function drawPin(ctx, x, y, size) {
  ctx.lineWidth = 2.5;
  ctx.strokeStyle = "#fff";
  ctx.beginPath();
  ctx.arc(x, y, size / 2 + 2, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#111";
  ctx.beginPath();
  ctx.arc(x, y, size / 2 + 2, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x - size, y);
  ctx.lineTo(x - 4, y);
  ctx.moveTo(x + 4, y);
  ctx.lineTo(x + size, y);
  ctx.moveTo(x, y - size);
  ctx.lineTo(x, y - 4);
  ctx.moveTo(x, y + 4);
  ctx.lineTo(x, y + size);
  ctx.stroke();
}
