// @ts-check
// The sliders' codes, pure: a prior sample and a code snapped to the sliders' grid.

/**
 * A standard normal sample (Box–Muller) per dimension, for "Prior sample".
 * @param {number} n
 * @param {() => number} random uniform in [0, 1)
 */
export function normalSample(n, random) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return out;
}

/**
 * A code on the sliders' grid: each value clipped to ±limit and rounded to 0.01 (vae.analysis.explore_ops.snap_code).
 * @param {ArrayLike<number>} code
 * @param {number} limit
 */
export function snapCode(code, limit) {
  return Float32Array.from(code, (v) => Math.round(Math.min(limit, Math.max(-limit, v)) * 100) / 100 + 0); // + 0: −0 becomes 0
}
