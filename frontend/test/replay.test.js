// @ts-check
import assert from "node:assert/strict";
import { test } from "node:test";
import { scaler, stepped } from "../src/replay.js";

test("the replay's map keeps equal axes, centres the extent and puts y up", () => {
  const at = scaler(
    [
      [-2, 2],
      [-1, 1],
    ],
    200,
    100,
    0,
  );
  assert.deepEqual(at(-2, -1), [0, 100]);
  assert.deepEqual(at(2, 1), [200, 0]);
  const square = scaler(
    [
      [0, 1],
      [0, 1],
    ],
    300,
    100,
    0,
  );
  assert.deepEqual(square(0, 0), [100, 100]); // a square extent in a wide canvas: centred, not stretched
  assert.deepEqual(square(1, 1), [200, 0]);
});

test("stepping stays within the run's epochs", () => {
  assert.equal(stepped(1, -1, 60), 1);
  assert.equal(stepped(60, 1, 60), 60);
  assert.equal(stepped(5, 1, 60), 6);
  assert.equal(stepped(7, 0, 60), 7);
});
