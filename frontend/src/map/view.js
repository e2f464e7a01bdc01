// @ts-check
// The map's camera: which rectangle of map coordinates the plotting area shows, and the conversions
// between map coordinates and the plotting area's CSS pixels (y grows upwards on the map, downwards
// on the screen). Pure functions, tested with node --test.

/** @typedef {{x0: number, x1: number, y0: number, y1: number}} View map coordinates at the area's edges */
/** @typedef {{left: number, top: number, width: number, height: number}} Area the plotting area, CSS px */

export const MARGIN = { left: 56, right: 10, top: 6, bottom: 46 }; // CSS px around the plotting area

/**
 * The plotting area inside a plot of this size.
 * @param {number} w
 * @param {number} h
 * @returns {Area}
 */
export function plotArea(w, h) {
  return { left: MARGIN.left, top: MARGIN.top, width: Math.max(10, w - MARGIN.left - MARGIN.right), height: Math.max(10, h - MARGIN.top - MARGIN.bottom) };
}

/**
 * The view that shows the extent; with `equal`, the same scale on both axes (raw z: the prior's
 * circles stay round).
 * @param {[[number, number], [number, number]]} extent
 * @param {boolean} equal
 * @param {Area} a
 * @returns {View}
 */
export function fitView(extent, equal, a) {
  let [[x0, x1], [y0, y1]] = extent;
  if (equal) {
    const s = Math.max((x1 - x0) / a.width, (y1 - y0) / a.height);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    [x0, x1, y0, y1] = [cx - (s * a.width) / 2, cx + (s * a.width) / 2, cy - (s * a.height) / 2, cy + (s * a.height) / 2];
  }
  return { x0, x1, y0, y1 };
}

/**
 * Map coordinates → the plotting area's pixels.
 * @param {View} v
 * @param {Area} a
 * @param {number} x
 * @param {number} y
 * @returns {[number, number]}
 */
export function toPixel(v, a, x, y) {
  return [((x - v.x0) / (v.x1 - v.x0)) * a.width, ((v.y1 - y) / (v.y1 - v.y0)) * a.height];
}

/**
 * The plotting area's pixels → map coordinates.
 * @param {View} v
 * @param {Area} a
 * @param {number} px
 * @param {number} py
 * @returns {[number, number]}
 */
export function fromPixel(v, a, px, py) {
  return [v.x0 + (px / a.width) * (v.x1 - v.x0), v.y1 - (py / a.height) * (v.y1 - v.y0)];
}

/**
 * The view zoomed by `factor` about the point under pixel (px, py).
 * @param {View} v
 * @param {Area} a
 * @param {number} factor
 * @param {number} px
 * @param {number} py
 * @returns {View}
 */
export function zoomed(v, a, factor, px, py) {
  const [x, y] = fromPixel(v, a, px, py);
  return { x0: x + (v.x0 - x) / factor, x1: x + (v.x1 - x) / factor, y0: y + (v.y0 - y) / factor, y1: y + (v.y1 - y) / factor };
}

/**
 * The view panned by a drag of (dx, dy) pixels.
 * @param {View} v
 * @param {Area} a
 * @param {number} dxPx
 * @param {number} dyPx
 * @returns {View}
 */
export function panned(v, a, dxPx, dyPx) {
  const dx = (dxPx / a.width) * (v.x1 - v.x0);
  const dy = (dyPx / a.height) * (v.y1 - v.y0);
  return { x0: v.x0 - dx, x1: v.x1 - dx, y0: v.y0 + dy, y1: v.y1 + dy };
}

/**
 * The view after a two-finger pinch: the fingers went from pixels `from` to pixels `to` (each a pair
 * of [px, py]); the map point under their first midpoint ends under their current midpoint, and the
 * scale follows the distance between them (zoomed about the midpoint, then panned with it).
 * @param {View} v the view when the pinch began
 * @param {Area} a
 * @param {[[number, number], [number, number]]} from
 * @param {[[number, number], [number, number]]} to
 * @returns {{view: View, factor: number}}
 */
export function pinched(v, a, from, to) {
  const d0 = Math.hypot(from[1][0] - from[0][0], from[1][1] - from[0][1]);
  const d1 = Math.hypot(to[1][0] - to[0][0], to[1][1] - to[0][1]);
  const factor = d0 > 0 && d1 > 0 ? d1 / d0 : 1;
  const m0x = (from[0][0] + from[1][0]) / 2;
  const m0y = (from[0][1] + from[1][1]) / 2;
  const m1x = (to[0][0] + to[1][0]) / 2;
  const m1y = (to[0][1] + to[1][1]) / 2;
  return { view: panned(zoomed(v, a, factor, m0x, m0y), a, m1x - m0x, m1y - m0y), factor };
}

/**
 * Round tick values between lo and hi, about `target` of them, with their labels.
 * @param {number} lo
 * @param {number} hi
 * @param {number} target
 * @param {string} [decimal] the labels' decimal mark ("," in French)
 * @returns {[number, string][]}
 */
export function niceTicks(lo, hi, target, decimal = ".") {
  const raw = (hi - lo) / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return out.map((v) => [v, written(v, digits, decimal)]);
}

/**
 * A number with `digits` decimals, written with the language's decimal mark and a true minus sign.
 * @param {number} v
 * @param {number} digits
 * @param {string} [decimal]
 */
export function written(v, digits, decimal = ".") {
  return v.toFixed(digits).replace(".", decimal).replace("-", "−");
}
