// @ts-check
// The maths the browser shares with the server, pure functions on arrays (tested by node --test on
// fixtures the Python side writes): vae.core.latent.path_at, vae.core.latent.nearest_codes with its
// tie rule, the PCA's exact transform and inverse, and the t-SNE inverse-distance blend.

/** @typedef {ArrayLike<number>} Vector */

/**
 * The point a fraction t of the way from a to b: vae.core.latent.path_at, the same maths.
 * @param {Vector} a
 * @param {Vector} b
 * @param {number} t
 * @param {string} method "lerp" or "slerp"
 * @returns {Vector}
 */
export function pathAt(a, b, t, method) {
  const n = a.length;
  const out = new Float64Array(n);
  if (method === "slerp") {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < n; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    na = Math.sqrt(na);
    nb = Math.sqrt(nb);
    if (na >= 1e-8 && nb >= 1e-8) {
      const omega = Math.acos(Math.min(1, Math.max(-1, dot / (na * nb))));
      if (Math.sin(omega) >= 1e-6) {
        if (t === 0) return a;
        if (t === 1) return b;
        const s0 = Math.sin((1 - t) * omega) / Math.sin(omega);
        const s1 = Math.sin(t * omega) / Math.sin(omega);
        for (let i = 0; i < n; i++) out[i] = s0 * a[i] + s1 * b[i];
        return out;
      }
    }
  }
  for (let i = 0; i < n; i++) out[i] = (1 - t) * a[i] + t * b[i];
  return out;
}

/**
 * Indices and distances of the k rows of `points` (N, dim) nearest to `query`, nearest first.
 * The tie rule of vae.core.latent.nearest_codes: d2 summed over j in order in a JS number (float64),
 * and points at equal d2 in index order (strict < below, and a stable sort), lowest index first.
 * @param {Vector} points (N, dim), row-major
 * @param {number} dim
 * @param {Vector} query (dim,)
 * @param {number} k
 * @returns {[number, number][]} [index, distance] pairs
 */
export function nearest(points, dim, query, k) {
  const n = points.length / dim;
  /** @type {[number, number][]} */
  const best = [];
  let worst = Number.POSITIVE_INFINITY; // the k-th best squared distance once there are k
  for (let i = 0; i < n; i++) {
    let d2 = 0;
    for (let j = 0; j < dim && d2 <= worst; j++) {
      const diff = points[i * dim + j] - query[j]; // a partial sum past the k-th best can only grow: stop early
      d2 += diff * diff;
    }
    if (best.length < k || d2 < worst) {
      best.push([i, d2]);
      best.sort((p, q) => p[1] - q[1]);
      if (best.length > k) best.pop();
      if (best.length === k) worst = best[k - 1][1];
    }
  }
  return best.map(([i, d2]) => [i, Math.sqrt(d2)]);
}

/**
 * The PCA's exact inverse: z = mean + x · components[0] + y · components[1].
 * @param {Vector} mean (D,)
 * @param {Vector[]} components (2, D)
 * @param {number} x
 * @param {number} y
 */
export function pcaInverse(mean, components, x, y) {
  const code = new Float32Array(mean.length);
  for (let j = 0; j < mean.length; j++) code[j] = mean[j] + x * components[0][j] + y * components[1][j];
  return code;
}

/**
 * The PCA's transform of one code to the map: coords = (z − mean) · componentsᵀ.
 * @param {Vector} mean (D,)
 * @param {Vector[]} components (2, D)
 * @param {Vector} code (D,)
 * @returns {[number, number]}
 */
export function pcaTransform(mean, components, code) {
  let x = 0;
  let y = 0;
  for (let j = 0; j < mean.length; j++) {
    x += (code[j] - mean[j]) * components[0][j];
    y += (code[j] - mean[j]) * components[1][j];
  }
  return [x, y];
}

/**
 * The inverse-distance blend of the k rows of `from` (N, fromDim) nearest to `query`, applied to the
 * same rows of `to` (N, toDim): the t-SNE map's hover (from = map coordinates, to = codes) and the
 * drawn digit's placement (from = codes, to = map coordinates), as vae.core.latent.blend_nearest.
 * @param {Vector} from
 * @param {number} fromDim
 * @param {Vector} to
 * @param {number} toDim
 * @template {Float32Array | Float64Array} T
 * @param {Vector} query
 * @param {number} k
 * @param {T} out (toDim,) zeros, summed into in its own precision (the map's hover code: float32)
 * @returns {T}
 */
export function blendNearest(from, fromDim, to, toDim, query, k, out) {
  const near = nearest(from, fromDim, query, k);
  const weights = near.map(([, d]) => 1 / (d + 1e-6));
  const total = weights.reduce((s, v) => s + v, 0);
  near.forEach(([i], n) => {
    for (let j = 0; j < toDim; j++) out[j] += (weights[n] / total) * to[i * toDim + j];
  });
  return out;
}
