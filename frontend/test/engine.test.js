// The browser engine (src/engine/net.js) against torch: the nets and torch's answers written by
// tests/js_fixtures.py (real models: mnist-z16, mnist-dense-z2, mnist-z2, celeba-z64; and a random
// res-block config), on both backends: plain JavaScript and tfjs's WebAssembly. Decoders: the pixels
// as drawn within 2/255; encoders: μ within 1e-5 of its largest value (at least 1).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { fromHalves, halfToFloat, loadNet, multiplyAdds, WASM_ABOVE_MULTIPLY_ADDS } from "../src/engine/net.js";
import { plainNet } from "../src/engine/plain.js";
import { ready, tfjsRun } from "../src/engine/tfjs.js";
import { fixture } from "./fixtures.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
/** @param {string} url */
const readFile = async (url) => new Response(readFileSync(new URL(url)));
const { cases } = fixture("engine");

/** @param {number} v a pixel mean → uint8, as runtime.js toImageData rounds it */
const toByte = (v) => Math.round(Math.min(1, Math.max(0, v)) * 255);

const tfjs = () => ready(tf);

for (const c of cases)
  for (const backend of /** @type {const} */ (["js", "wasm"])) {
    test(`${c.model} ${c.part} on ${backend}: the engine gives torch's answers`, async () => {
      const net = await loadNet(new URL(c.net, FIXTURES).href, { fetch: readFile, backend, tfjs });
      assert.equal(net.backend, backend);
      assert.equal(net.inputSize, c.inputs[0].length);
      let maxFloat = 0;
      let maxByte = 0;
      for (let i = 0; i < c.inputs.length; i++) {
        const out = await net.run(Float32Array.from(c.inputs[i]));
        assert.equal(out.length, c.outputs[i].length);
        for (let j = 0; j < out.length; j++) {
          maxFloat = Math.max(maxFloat, Math.abs(out[j] - c.outputs[i][j]));
          if (c.pixels) maxByte = Math.max(maxByte, Math.abs(toByte(out[j]) - c.pixels[i][j]));
        }
      }
      console.log(
        `${c.model} ${c.part} ${backend}: ${c.inputs.length} inputs, max |Δ| ${maxFloat.toExponential(2)}${c.pixels ? `, max pixel Δ ${maxByte}/255` : ""}`,
      );
      if (c.part === "decoder") {
        assert.ok(maxByte <= 2, `pixels differ by ${maxByte}/255`);
        assert.ok(maxFloat < 2 / 255, `pixel means differ by ${maxFloat}`);
      } else {
        const scale = Math.max(1, ...c.outputs.flat().map(Math.abs)); // the random res-block net's μ run to tens
        assert.ok(maxFloat < 1e-5 * scale, `μ differs by ${maxFloat} (largest |μ| ${scale})`);
      }
    });
  }

test("a decoder's output shape is the image's, its values in [0, 1]; auto picks wasm for the big nets", async () => {
  const c = cases.find((x) => x.model === "celeba-z64" && x.part === "decoder");
  const net = await loadNet(new URL(c.net, FIXTURES).href, { fetch: readFile, backend: "auto", tfjs });
  assert.deepEqual(net.outputShape, [3, 64, 64]);
  assert.ok(multiplyAdds(net.spec.layers) > 25e6 && multiplyAdds(net.spec.layers) < 30e6); // ≈ 27 M
  assert.equal(net.backend, "wasm");
  const out = await net.run(new Float32Array(net.inputSize).fill(3));
  assert.ok(out.every((v) => v >= 0 && v <= 1));
  const dense = cases.find((x) => x.model === "mnist-dense-z2" && x.part === "decoder");
  const small = await loadNet(new URL(dense.net, FIXTURES).href, { fetch: readFile, backend: "auto", tfjs });
  assert.ok(multiplyAdds(small.spec.layers) < WASM_ABOVE_MULTIPLY_ADDS);
  assert.equal(small.backend, "js");
  const noRuntime = await loadNet(new URL(c.net, FIXTURES).href, { fetch: readFile, backend: "auto" });
  assert.equal(noRuntime.backend, "js"); // no runtime given: plain JavaScript
});

test("a net made from other weights, a cut .bin and a wrong input size are refused", async () => {
  const c = cases.find((x) => x.model === "mnist-z16" && x.part === "decoder");
  const url = new URL(c.net, FIXTURES).href;
  await assert.rejects(loadNet(url, { fetch: readFile, weightsSha256: "0".repeat(64) }), /other weights/);
  /** @param {string} u */
  const cut = async (u) => (u.endsWith(".bin") ? new Response(readFileSync(new URL(u)).subarray(0, 1000)) : readFile(u));
  await assert.rejects(loadNet(url, { fetch: cut }), /stale or cut/);
  /** @param {string} u */
  const other = async (u) => (u.endsWith(".json") ? new Response(JSON.stringify({ format: "onnx" })) : readFile(u));
  await assert.rejects(loadNet(url, { fetch: other }), /not a vae-browser-net file/);
  const net = await loadNet(url, { fetch: readFile });
  await assert.rejects(net.run(new Float32Array(3)), /input of 3 values, expects 16/);
});

test("float16 bits decode exactly", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x8000), -0);
  assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  const file = new DataView(new ArrayBuffer(8));
  for (const [i, bits] of [0x3c00, 0xc000, 0x3555, 0x0001].entries()) file.setUint16(2 * i, bits, true);
  assert.deepEqual(Array.from(fromHalves(file.buffer)), [1, -2, 0.333251953125, 2 ** -24]);
});

test("tfjs's transposed convolution (per phase, or the phases on one grid) equals the plain kernel's, for strides, kernels, paddings and output sizes torch allows", async () => {
  const tf = await tfjs();
  // [kernel, stride, padding, input side, output side]: output = (in − 1)·s − 2p + k, plus torch's output_padding (< s)
  const shapes = [
    [4, 2, 1, 3, 6],
    [3, 2, 1, 5, 9],
    [3, 2, 1, 5, 10],
    [4, 3, 0, 3, 10],
    [5, 2, 2, 4, 7],
    [3, 1, 1, 4, 4],
    [2, 2, 0, 3, 6],
    [6, 2, 0, 2, 8],
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  for (const [k, s, p, h, oh] of shapes) {
    const ci = 3;
    const co = 2;
    const w = Float32Array.from({ length: ci * co * k * k }, random);
    const b = Float32Array.from({ length: co }, random);
    const x = Float32Array.from({ length: ci * h * h }, random);
    /** @type {import("../src/engine/net.js").ConvLayer} */
    const layer = {
      op: "conv_transpose",
      in_channels: ci,
      out_channels: co,
      kernel: k,
      stride: s,
      padding: p,
      in_shape: [ci, h, h],
      out_shape: [co, oh, oh],
      weight: { offset: 0, shape: [ci, co, k, k] },
      bias: { offset: 1, shape: [co] },
    };
    const spec = /** @type {import("../src/engine/net.js").NetSpec} */ ({
      model: `k${k}s${s}p${p}`,
      part: "decoder",
      input_size: x.length,
      input_shape: [ci, h, h],
      output_shape: [co, oh, oh],
      layers: [layer],
    });
    /** @type {import("../src/engine/net.js").Weights} */
    const weights = (ref) => (ref.offset === 0 ? w : b);
    const plain = await plainNet(spec, weights, "test").run(x);
    for (const method of /** @type {const} */ (["grid", "phases"])) {
      const wasm = await tfjsRun(tf, spec, weights, method)(x);
      assert.equal(wasm.length, plain.length);
      const largest = Math.max(...plain.map((v, i) => Math.abs(v - wasm[i])));
      assert.ok(largest < 1e-5, `${method}: k ${k}, s ${s}, p ${p}, ${h} → ${oh}: differs by ${largest}`);
    }
  }
});
