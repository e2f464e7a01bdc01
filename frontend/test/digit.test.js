// The JS port of vae.data.inputs' digit preparation against Python on the same synthetic drawn digits.
import assert from "node:assert/strict";
import { test } from "node:test";
import { percentile, prepareDigit, roundHalfEven } from "../src/digit.js";
import { fixture } from "./fixtures.js";

test("a drawn digit prepares as vae.data.inputs.canvas_to_digit does, to one grey level", () => {
  const { constants, digits } = fixture("digits");
  assert.ok(digits.length >= 3);
  for (const d of digits) {
    const rgba = new Uint8Array(Buffer.from(d.rgba, "base64"));
    const got = prepareDigit(rgba, d.width, d.height, constants);
    assert.ok(got, d.name);
    assert.equal(got.length, constants.side * constants.side);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - d.digit[i]));
    assert.ok(worst <= 1, `${d.name}: off by ${worst} grey levels`);
    assert.ok(
      d.digit.some((v) => v > 200),
      `${d.name} has ink`,
    );
  }
});

test("an empty canvas is no digit", () => {
  const { constants } = fixture("digits");
  assert.equal(prepareDigit(new Uint8Array(64 * 64 * 4), 64, 64, constants), null);
});

test("numpy's rounding and percentile", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, 2, 3]);
  assert.equal(percentile([1, 2, 3, 4, 5], 5), 1.2);
});
