// @ts-check
// Where things are, pure: the code of a pinned spot on the map (the map's hover maths: raw, the PCA's
// exact inverse, the t-SNE blend; a test point's own code) and the place of a drawn digit's μ on the
// map (vae.analysis.placement.place: raw, the PCA's transform, the t-SNE blend of the k nearest codes).

import { blendNearest, pcaInverse, pcaTransform } from "../maths.js";

/**
 * @typedef {object} MapMaths
 * @property {string} projection "raw" | "pca" | "tsne"
 * @property {number} dim
 * @property {number} k
 * @property {number[]} pca_mean
 * @property {number[][]} pca_components
 */

/**
 * The code at a pinned spot: a test point's own code, else what hovering there decodes.
 * @param {MapMaths} m
 * @param {Float32Array} coords (N, 2)
 * @param {Float32Array} codes (N, D)
 * @param {{x: number, y: number, index: number | null}} pin
 * @returns {Float32Array}
 */
export function pinCode(m, coords, codes, pin) {
  if (pin.index !== null) return codes.slice(pin.index * m.dim, (pin.index + 1) * m.dim);
  if (m.projection === "raw") {
    const code = new Float32Array(m.dim);
    code[0] = pin.x;
    code[1] = pin.y;
    return code;
  }
  if (m.projection === "pca") return pcaInverse(m.pca_mean, m.pca_components, pin.x, pin.y);
  return blendNearest(coords, 2, codes, m.dim, [pin.x, pin.y], m.k, new Float32Array(m.dim));
}

/**
 * A code's place on the map: vae.analysis.placement.place.
 * @param {MapMaths} m
 * @param {Float32Array | null} coords (N, 2), needed for t-SNE
 * @param {Float32Array | null} codes (N, D), needed for t-SNE
 * @param {ArrayLike<number>} mu (D,)
 * @param {number} k t-SNE's neighbours
 * @returns {[number, number]}
 */
export function placeCode(m, coords, codes, mu, k) {
  if (m.projection === "raw") return [mu[0], mu[1]];
  if (m.projection === "pca") return pcaTransform(m.pca_mean, m.pca_components, mu);
  if (!coords || !codes) throw new Error("t-SNE placement needs the map's coordinates and codes");
  const xy = blendNearest(codes, m.dim, coords, 2, mu, k, new Float64Array(2));
  return [xy[0], xy[1]];
}

/**
 * The pins kept: the last two (A then B).
 * @template T
 * @param {T[]} pins
 * @param {T} pin
 * @returns {T[]}
 */
export const withPin = (pins, pin) => [...pins, pin].slice(-2);
