// @ts-check
// Picking: the visible test point under a click, within a few pixels: the nearest in screen pixels
// (squared distance; equal distances go to the lowest index). A uniform grid over map coordinates,
// built once per set of points, gives the few candidates near the click instead of a scan over all
// N points; pickScan is the scan it must equal (node --test checks them against each other).

/**
 * Points bucketed by a uniform grid over their bounding box: cell c holds items[start[c] .. start[c + 1]),
 * in index order (a counting sort).
 * @typedef {{x0: number, y0: number, cell: number, nx: number, ny: number, start: Int32Array, items: Int32Array}} Grid
 */

/**
 * A grid of about two points per cell over the points' bounding box.
 * @param {ArrayLike<number>} coords (N, 2) map coordinates
 * @returns {Grid}
 */
export function buildGrid(coords) {
  const n = coords.length / 2;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i];
    const y = coords[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  if (!(x1 >= x0)) [x0, x1, y0, y1] = [0, 1, 0, 1]; // no finite point
  const side = Math.max(x1 - x0, y1 - y0, 1e-12);
  const per = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
  const cell = side / per;
  const nx = Math.max(1, Math.ceil((x1 - x0) / cell) + 1);
  const ny = Math.max(1, Math.ceil((y1 - y0) / cell) + 1);
  const cellOf = new Int32Array(n).fill(-1);
  const start = new Int32Array(nx * ny + 1);
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i];
    const y = coords[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue; // never within reach of a click: the scan skips it too
    const c = clampCell((y - y0) / cell, ny) * nx + clampCell((x - x0) / cell, nx);
    cellOf[i] = c;
    start[c + 1] += 1;
  }
  for (let c = 0; c < nx * ny; c++) start[c + 1] += start[c];
  const fill = start.slice(0, nx * ny);
  const items = new Int32Array(start[nx * ny]);
  for (let i = 0; i < n; i++) if (cellOf[i] >= 0) items[fill[cellOf[i]]++] = i;
  return { x0, y0, cell, nx, ny, start, items };
}

/** @param {number} v @param {number} count */
const clampCell = (v, count) => Math.min(count - 1, Math.max(0, Math.floor(v)));

/**
 * The index of the visible point nearest to pixel (px, py) within hitPx, or null: the candidates in
 * the grid cells that the hit circle's box (in map units, a little widened) touches.
 * @param {Grid} grid buildGrid(coords)
 * @param {ArrayLike<number>} coords (N, 2) map coordinates
 * @param {ArrayLike<number>} rgba (N, 4) bytes; alpha 0 is a hidden point
 * @param {(x: number, y: number) => [number, number]} toPixel
 * @param {(px: number, py: number) => [number, number]} fromPixel
 * @param {number} px
 * @param {number} py
 * @param {number} hitPx
 * @returns {number | null}
 */
export function pick(grid, coords, rgba, toPixel, fromPixel, px, py, hitPx) {
  // the box of map coordinates within hitPx of the click (the view may flip or stretch the axes)
  const [ax, ay] = fromPixel(px - hitPx, py - hitPx);
  const [bx, by] = fromPixel(px + hitPx, py + hitPx);
  const slack = 1e-6 * grid.cell + 1e-3 * Math.max(Math.abs(bx - ax), Math.abs(by - ay));
  const cx0 = clampCell((Math.min(ax, bx) - slack - grid.x0) / grid.cell, grid.nx);
  const cx1 = clampCell((Math.max(ax, bx) + slack - grid.x0) / grid.cell, grid.nx);
  const cy0 = clampCell((Math.min(ay, by) - slack - grid.y0) / grid.cell, grid.ny);
  const cy1 = clampCell((Math.max(ay, by) + slack - grid.y0) / grid.cell, grid.ny);
  let best = -1;
  let bestD = hitPx * hitPx;
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let cx = cx0; cx <= cx1; cx++) {
      const c = cy * grid.nx + cx;
      for (let k = grid.start[c]; k < grid.start[c + 1]; k++) {
        const i = grid.items[k];
        if (rgba[4 * i + 3] === 0) continue;
        const [qx, qy] = toPixel(coords[2 * i], coords[2 * i + 1]);
        const d = (qx - px) ** 2 + (qy - py) ** 2;
        if (d < bestD || (d === bestD && best >= 0 && i < best)) {
          bestD = d;
          best = i;
        }
      }
    }
  }
  return best < 0 ? null : best;
}

/**
 * The same answer by a scan over every point (the reference pick is tested against).
 * @param {ArrayLike<number>} coords (N, 2) map coordinates
 * @param {ArrayLike<number>} rgba (N, 4) bytes; alpha 0 is a hidden point
 * @param {(x: number, y: number) => [number, number]} toPixel
 * @param {number} px
 * @param {number} py
 * @param {number} hitPx
 * @returns {number | null}
 */
export function pickScan(coords, rgba, toPixel, px, py, hitPx) {
  let best = -1;
  let bestD = hitPx * hitPx;
  const n = coords.length / 2;
  for (let i = 0; i < n; i++) {
    if (rgba[4 * i + 3] === 0) continue;
    const [qx, qy] = toPixel(coords[2 * i], coords[2 * i + 1]);
    const d = (qx - px) ** 2 + (qy - py) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best < 0 ? null : best;
}
