// The map's camera: pixels and map coordinates round-trip, zoom keeps the point under the pointer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fitView, fromPixel, niceTicks, panned, pinched, plotArea, toPixel, written, zoomed } from "../src/map/view.js";

/** The map's data extent, [[x0, x1], [y0, y1]], written on one line.
 * @param {number} x0 @param {number} x1 @param {number} y0 @param {number} y1 @returns {[number, number][]} */
const extent = (x0, x1, y0, y1) => [
  [x0, x1],
  [y0, y1],
];

test("toPixel and fromPixel are inverses; y grows upwards", () => {
  const a = plotArea(800, 600);
  const v = fitView(extent(-3, 5, -2, 2), false, a);
  const [px, py] = toPixel(v, a, 1.5, -0.5);
  const [x, y] = fromPixel(v, a, px, py);
  assert.ok(Math.abs(x - 1.5) < 1e-12 && Math.abs(y + 0.5) < 1e-12);
  assert.ok(toPixel(v, a, 0, 1)[1] < toPixel(v, a, 0, 0)[1]);
});

test("an equal view has the same scale on both axes and shows the extent", () => {
  const a = plotArea(900, 500);
  const v = fitView(extent(-4, 4, -1, 1), true, a);
  assert.ok(Math.abs((v.x1 - v.x0) / a.width - (v.y1 - v.y0) / a.height) < 1e-12);
  const eps = 1e-12;
  assert.ok(v.x0 <= -4 + eps && v.x1 >= 4 - eps && v.y0 <= -1 + eps && v.y1 >= 1 - eps);
});

test("zoom keeps the point under the pointer; pan moves by the drag", () => {
  const a = plotArea(800, 600);
  const v = fitView(extent(0, 10, 0, 10), false, a);
  const before = fromPixel(v, a, 100, 200);
  const after = fromPixel(zoomed(v, a, 1.7, 100, 200), a, 100, 200);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  const p = panned(v, a, 30, -20);
  const [x0, y0] = fromPixel(v, a, 100, 200);
  const [x1, y1] = fromPixel(p, a, 130, 180);
  assert.ok(Math.abs(x0 - x1) < 1e-9 && Math.abs(y0 - y1) < 1e-9);
});

test("ticks are round numbers inside the range", () => {
  assert.deepEqual(
    niceTicks(-1.3, 2.2, 4).map(([v]) => v),
    [-1, 0, 1, 2],
  );
  assert.deepEqual(
    niceTicks(0, 0.5, 5).map(([, label]) => label),
    ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"],
  );
  assert.deepEqual(
    niceTicks(-0.2, 0.2, 4, ",").map(([, label]) => label),
    ["−0,2", "−0,1", "0,0", "0,1", "0,2"],
  );
  assert.equal(written(-1.234, 2, ","), "−1,23");
});

test("a pinch keeps the map point under the fingers' midpoint and scales with their distance", () => {
  const a = plotArea(400, 300);
  const v = fitView(extent(-3, 5, -2, 2), false, a);
  /** @type {[[number, number], [number, number]]} */
  const from = [
    [100, 120],
    [140, 150],
  ];
  /** @type {[[number, number], [number, number]]} */
  const to = [
    [60, 100],
    [180, 190],
  ];
  const { view, factor } = pinched(v, a, from, to);
  assert.ok(Math.abs(factor - 3) < 1e-12); // 50 px apart, then 150
  const before = fromPixel(v, a, 120, 135);
  const after = fromPixel(view, a, 120, 145); // the new midpoint
  assert.ok(Math.abs(before[0] - after[0]) < 1e-12 && Math.abs(before[1] - after[1]) < 1e-12);
  assert.ok(Math.abs((view.x1 - view.x0) * 3 - (v.x1 - v.x0)) < 1e-12);
  assert.ok(Math.abs((view.y1 - view.y0) * 3 - (v.y1 - v.y0)) < 1e-12);
  // fingers that only move together pan; fingers that do not move change nothing
  const pan = pinched(v, a, from, [
    [110, 110],
    [150, 140],
  ]);
  assert.equal(pan.factor, 1);
  assert.deepEqual(pan.view, panned(v, a, 10, -10));
  assert.deepEqual(pinched(v, a, from, from).view, panned(zoomed(v, a, 1, 120, 135), a, 0, 0));
});
