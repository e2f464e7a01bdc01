// The map's camera: pixels and map coordinates round-trip, zoom keeps the point under the pointer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fitView, fromPixel, niceTicks, panned, plotArea, toPixel, zoomed } from "../src/map/view.js";

test("toPixel and fromPixel are inverses; y grows upwards", () => {
  const a = plotArea(800, 600);
  const v = fitView(
    [
      [-3, 5],
      [-2, 2],
    ],
    false,
    a,
  );
  const [px, py] = toPixel(v, a, 1.5, -0.5);
  const [x, y] = fromPixel(v, a, px, py);
  assert.ok(Math.abs(x - 1.5) < 1e-12 && Math.abs(y + 0.5) < 1e-12);
  assert.ok(toPixel(v, a, 0, 1)[1] < toPixel(v, a, 0, 0)[1]);
});

test("an equal view has the same scale on both axes and shows the extent", () => {
  const a = plotArea(900, 500);
  const v = fitView(
    [
      [-4, 4],
      [-1, 1],
    ],
    true,
    a,
  );
  assert.ok(Math.abs((v.x1 - v.x0) / a.width - (v.y1 - v.y0) / a.height) < 1e-12);
  const eps = 1e-12;
  assert.ok(v.x0 <= -4 + eps && v.x1 >= 4 - eps && v.y0 <= -1 + eps && v.y1 >= 1 - eps);
});

test("zoom keeps the point under the pointer; pan moves by the drag", () => {
  const a = plotArea(800, 600);
  const v = fitView(
    [
      [0, 10],
      [0, 10],
    ],
    false,
    a,
  );
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
});
