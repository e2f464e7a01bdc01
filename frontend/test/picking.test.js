// The map's picking: the grid's answer equals the scan's over every point, ties included, at many
// views (zoomed far in and out) and clicks (on points, on duplicates, between, outside).
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildGrid, pick, pickScan } from "../src/map/picking.js";
import { fitView, fromPixel, plotArea, toPixel, zoomed } from "../src/map/view.js";
import { fixture } from "./fixtures.js";

const HIT_PX = 7;

test("the grid picks exactly what the scan picks", () => {
  const { coords: raw, hidden } = fixture("picking");
  const coords = Float32Array.from(raw);
  const n = coords.length / 2;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) rgba[4 * i + 3] = hidden[i] ? 0 : 191;
  const grid = buildGrid(coords);
  const a = plotArea(900, 620);
  const base = fitView(
    [
      [-4, 4],
      [-4, 4],
    ],
    false,
    a,
  );
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let hits = 0;
  let ties = 0;
  for (const [factor, fx, fy] of [
    [1, 0, 0],
    [0.2, 450, 300],
    [8, 600, 100],
    [300, 700, 120],
  ]) {
    const v = factor === 1 ? base : zoomed(base, a, factor, fx, fy);
    /** @param {number} x @param {number} y */
    const to = (x, y) => toPixel(v, a, x, y);
    /** @param {number} x @param {number} y */
    const from = (x, y) => fromPixel(v, a, x, y);
    const clicks = [];
    for (let k = 0; k < 400; k++) clicks.push([random() * a.width, random() * a.height]);
    for (const i of [3, 10, 15, 42, 2100]) {
      const [x, y] = to(coords[2 * i], coords[2 * i + 1]);
      clicks.push([x, y], [x + 3, y - 2], [x + HIT_PX, y]);
    }
    for (const [px, py] of clicks) {
      const want = pickScan(coords, rgba, to, px, py, HIT_PX);
      assert.equal(pick(grid, coords, rgba, to, from, px, py, HIT_PX), want, `view ×${factor}, click (${px}, ${py})`);
      if (want !== null) hits += 1;
    }
    const [x3, y3] = to(coords[6], coords[7]); // row 3, copied to rows 10-19: the lowest visible index wins
    const got = pick(grid, coords, rgba, to, from, x3, y3, HIT_PX);
    assert.equal(got, pickScan(coords, rgba, to, x3, y3, HIT_PX));
    if (got !== null && got <= 10) ties += 1;
  }
  assert.ok(hits > 100, `clicks that hit a point: ${hits}`);
  assert.equal(ties, 4);
});

test("hidden points and far clicks give nothing", () => {
  const coords = Float32Array.from([0, 0, 1, 1]);
  const rgba = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 191]);
  const a = plotArea(400, 400);
  const v = fitView(
    [
      [-1, 2],
      [-1, 2],
    ],
    false,
    a,
  );
  /** @param {number} x @param {number} y */
  const to = (x, y) => toPixel(v, a, x, y);
  /** @param {number} x @param {number} y */
  const from = (x, y) => fromPixel(v, a, x, y);
  const grid = buildGrid(coords);
  const [x0, y0] = to(0, 0);
  assert.equal(pick(grid, coords, rgba, to, from, x0, y0, HIT_PX), null);
  const [x1, y1] = to(1, 1);
  assert.equal(pick(grid, coords, rgba, to, from, x1 + 2, y1, HIT_PX), 1);
  assert.equal(pick(grid, coords, rgba, to, from, x1 + 50, y1, HIT_PX), null);
});
