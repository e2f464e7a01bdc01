// The browser's maths against the server's (tests/js_fixtures.py): path_at, the PCA, nearest's tie rule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { blendNearest, nearest, pathAt, pcaInverse, pcaTransform } from "../src/maths.js";
import { fixture } from "./fixtures.js";

/** @param {ArrayLike<number>} got @param {number[]} want @param {number} tol */
function close(got, want, tol) {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `[${i}] ${got[i]} != ${want[i]}`);
}

test("pathAt is vae.core.latent.path_at (lerp, slerp, and slerp's fallbacks)", () => {
  const cases = fixture("paths");
  assert.ok(cases.length >= 8);
  // path_at returns float32: the browser's float64 point rounds to it
  for (const c of cases) for (const [i, t] of c.ts.entries()) close(pathAt(c.a, c.b, t, c.method), c.points[i], 1e-6);
});

test("pathAt returns the ends themselves at t = 0 and 1", () => {
  const c = fixture("paths").find((p) => p.method === "slerp");
  assert.deepEqual(Array.from(pathAt(c.a, c.b, 0, "slerp")), c.a);
  assert.deepEqual(Array.from(pathAt(c.a, c.b, 1, "slerp")), c.b);
});

test("the PCA inverse and transform are LatentPCA's", () => {
  const p = fixture("pca");
  for (const [i, [x, y]] of p.coords.entries()) close(pcaInverse(p.mean, p.components, x, y), p.inverse[i], 1e-5); // float32 codes
  for (const [i, code] of p.codes.entries()) close(pcaTransform(p.mean, p.components, code), p.transform[i], 1e-9);
  // and back: the inverse of the transform of a point in the components' plane is that point
  const z = pcaInverse(p.mean, p.components, 0.7, -1.3);
  close(pcaTransform(p.mean, p.components, z), [0.7, -1.3], 1e-5);
});

test("nearest is vae.core.latent.nearest_codes, ties lowest index first", () => {
  const cases = fixture("nearest");
  let ties = 0;
  for (const c of cases) {
    const got = nearest(c.points, c.dim, c.query, c.k);
    assert.deepEqual(
      got.map(([i]) => i),
      c.indices,
    );
    close(
      got.map(([, d]) => d),
      c.distances,
      0,
    );
    for (let i = 1; i < c.distances.length; i++) if (c.distances[i] === c.distances[i - 1]) ties += 1;
  }
  assert.ok(ties > 20, `the fixtures hold ties (${ties})`);
});

test("blendNearest weights the k nearest rows by inverse distance", () => {
  const from = [0, 0, 1, 0, 10, 10];
  const to = [1, 2, 3];
  const got = blendNearest(from, 2, to, 1, [0.25, 0], 2, new Float64Array(1));
  const w0 = 1 / (0.25 + 1e-6);
  const w1 = 1 / (0.75 + 1e-6);
  close(got, [(w0 * 1 + w1 * 2) / (w0 + w1)], 1e-12);
});
