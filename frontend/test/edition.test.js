// The student edition's pure modules (frontend/src/edition): where a pinned spot's code and a drawn
// code's place come from (placement.js, against vae.artifacts.atlas.code_at and
// vae.analysis.placement.place on real maps, tests/js_fixtures.py), the texts (texts.js) and the
// sliders' helpers (latent.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { normalSample, snapCode } from "../src/edition/codes.js";
import { pinCode, placeCode, withPin } from "../src/edition/placement.js";
import { fill, firstLanguage, formatNumber, otherLanguage, say } from "../src/edition/texts.js";
import { fixture } from "./fixtures.js";

/** @param {ArrayLike<number>} got @param {number[]} want @param {number} tol @param {string} what */
function close(got, want, tol, what) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what} [${i}] ${got[i]} != ${want[i]}`);
}

test("a pinned spot's code is what the server decodes there (code_at: PCA inverse, t-SNE blend, raw), a test point's is its own", () => {
  const cases = fixture("edition_placement");
  assert.deepEqual(
    cases.map((c) => c.map.projection),
    ["pca", "tsne", "raw"],
  );
  for (const c of cases) {
    const coords = Float32Array.from(c.coords);
    const codes = Float32Array.from(c.codes);
    c.spots.forEach(([x, y], i) => {
      close(pinCode(c.map, coords, codes, { x, y, index: null }), c.spot_codes[i], 1e-5, `${c.model} ${c.map.projection} spot ${i}`);
    });
    c.rows.forEach((row, i) => {
      close(pinCode(c.map, coords, codes, { x: 0, y: 0, index: row }), c.row_codes[i], 0, `${c.model} row ${row}`);
    });
  }
});

test("a drawn code lands where vae.analysis.placement.place puts it (raw, PCA, t-SNE's k nearest)", () => {
  for (const c of fixture("edition_placement")) {
    const coords = c.coords.length ? Float32Array.from(c.coords) : null;
    const codes = c.coords.length ? Float32Array.from(c.codes) : null;
    c.mus.forEach((mu, i) => {
      close(placeCode(c.map, coords, codes, mu, c.place_k), c.places[i], 1e-5, `${c.model} ${c.map.projection} μ ${i}`);
    });
  }
  const tsne = fixture("edition_placement")[1];
  assert.throws(() => placeCode(tsne.map, null, null, tsne.mus[0], 10), /t-SNE placement needs/);
});

test("two pins are kept, the newest last", () => {
  assert.deepEqual(withPin([], 1), [1]);
  assert.deepEqual(withPin([1], 2), [1, 2]);
  assert.deepEqual(withPin([1, 2], 3), [2, 3]);
});

test("texts: fields filled the language's way, English then the key as fallbacks, ?lang= first", () => {
  assert.equal(formatNumber(-0.5, 2, "en"), "-0.50");
  assert.match(formatNumber(-0.5, 2, "fr"), /^[-−]0,50$/);
  assert.equal(fill("at ({x:.2f}, {y:.2f}) {name}", { x: 1.234, y: -2, name: "z3" }, "en"), "at (1.23, -2.00) z3");
  assert.equal(fill("en ({x:.2f} ; {y:.1f})", { x: 1.234, y: 0.25 }, "fr"), "en (1,23 ; 0,3)");
  assert.equal(fill("{missing} stays", {}, "en"), "{missing} stays");
  const texts = /** @type {any} */ ({ en: { catalogue: { a: "A", b: "B" } }, fr: { catalogue: { a: "Â" } } });
  assert.equal(say(texts, "fr", "a"), "Â");
  assert.equal(say(texts, "fr", "b"), "B");
  assert.equal(say(texts, "fr", "c"), "c");
  assert.equal(firstLanguage("?lang=fr", "en"), "fr");
  assert.equal(firstLanguage("?lang=de", "fr"), "en");
  assert.equal(firstLanguage("", "fr"), "fr");
  assert.equal(otherLanguage("fr"), "en");
  assert.equal(otherLanguage("en"), "fr");
});

test("sliders: a code snapped to the grid of ±limit in 0.01 steps; prior samples look standard normal", () => {
  assert.deepEqual(
    Array.from(snapCode([0.123, -4, 3.5, -0.004], 3)),
    [0.12, -3, 3, 0].map((v) => Math.fround(v)),
  );
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const z = normalSample(20000, random);
  const mean = z.reduce((s, v) => s + v, 0) / z.length;
  const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
});
