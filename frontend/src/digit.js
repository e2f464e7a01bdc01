// @ts-check
// Digit preparation: a port of vae.data.inputs.canvas_to_digit / prepare_digit (box to DIGIT_BOX px,
// the crispest registration of the grid spans × phases, centre of mass to the centre, crisp
// strokes). The constants come from Python in the payload (vae.data.inputs), never typed here.

/**
 * vae.data.inputs' constants, as ui/components/live.py sends them.
 * @typedef {object} DigitConstants
 * @property {number} side DIGIT_SIDE: the output's side, px
 * @property {number} box DIGIT_BOX: the digit's longer side, px
 * @property {number} centre DIGIT_CENTRE: where the centre of mass goes (row and column)
 * @property {number} min_contrast MIN_CONTRAST: grey levels below which an image is blank
 * @property {number} box_threshold BOX_THRESHOLD: the ink level that bounds the box
 * @property {number[]} grid_spans GRID_SPANS
 * @property {number} grid_phases GRID_PHASES
 * @property {number} mnist_core MNIST_CORE
 */

/**
 * numpy's rounding: half to even.
 * @param {number} x
 */
export const roundHalfEven = (x) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * numpy's default (linear) percentile.
 * @param {ArrayLike<number>} values
 * @param {number} q in [0, 100]
 */
export function percentile(values, q) {
  const v = Float64Array.from(values).sort();
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/**
 * A canvas's RGBA pixels (w × h) → the side × side digit in grey levels 0–255, or null when blank.
 * @param {ArrayLike<number>} rgba
 * @param {number} w
 * @param {number} h
 * @param {DigitConstants} c
 * @returns {Float64Array | null}
 */
export function prepareDigit(rgba, w, h, c) {
  const grey = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const g = ((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3) * (rgba[4 * i + 3] / 255);
    grey[i] = roundHalfEven(g); // the server rounds to uint8 first
  }
  let max = 0;
  for (const g of grey) max = Math.max(max, g);
  if (max < 0.15 * 255) return null; // an empty canvas
  const p5 = percentile(grey, 5);
  let contrast = 0;
  for (const g of grey) contrast = Math.max(contrast, g - p5);
  if (contrast < c.min_contrast) return null;
  const ink = grey.map((g) => Math.min(1, Math.max(0, (g - p5) / contrast)));
  const digit = fitDigit(ink, w, h, c);
  return digit.map((v) => roundHalfEven(v * 255));
}

/**
 * @param {Float64Array} ink in [0, 1], w × h
 * @param {number} w
 * @param {number} h
 * @param {DigitConstants} c
 */
function fitDigit(ink, w, h, c) {
  let top = h;
  let bottom = -1;
  let left = w;
  let right = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x] >= c.box_threshold) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  bottom += 1;
  right += 1;
  const span = Math.max(bottom - top, right - left);
  const margin = Math.ceil((3 * span) / c.box);
  const y0 = Math.max(top - margin, 0);
  const x0 = Math.max(left - margin, 0);
  const y1 = Math.min(bottom + margin, h);
  const x1 = Math.min(right + margin, w);
  const cw = x1 - x0;
  const ch = y1 - y0;
  const crop = new Float64Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) crop[y * cw + x] = ink[(y + y0) * w + x + x0];
  const { grid, exact, n } = register(crop, cw, ch, span, [(top + bottom) / 2 - y0, (left + right) / 2 - x0], c);
  let total = 0;
  let sy = 0;
  let sx = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const g = grid[i * n + j];
      total += g;
      sy += i * g;
      sx += j * g;
    }
  const dy = roundHalfEven(c.centre - sy / total);
  const dx = roundHalfEven(c.centre - sx / total);
  const side = c.side;
  const digit = new Float64Array(side * side);
  for (let i = 0; i < side; i++)
    for (let j = 0; j < side; j++) {
      const gi = i - dy;
      const gj = j - dx;
      if (gi >= 0 && gi < n && gj >= 0 && gj < n) digit[i * side + j] = grid[gi * n + gj];
    }
  return exact ? digit : crispStrokes(digit, c);
}

/**
 * The crispest of the grid registrations: vae.data.inputs._register.
 * @param {Float64Array} ink
 * @param {number} w
 * @param {number} h
 * @param {number} span
 * @param {[number, number]} centre
 * @param {DigitConstants} c
 * @param {number} [n]
 * @returns {{grid: Float64Array, exact: boolean, n: number}}
 */
function register(ink, w, h, span, centre, c, n = 25) {
  const W = w + 1;
  const integral = new Float64Array((h + 1) * W);
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += ink[y * w + x];
      integral[(y + 1) * W + x + 1] = integral[y * W + x + 1] + row;
    }
  }
  /** @param {number} yy @param {number} xx */
  const at = (yy, xx) => {
    const ys = Math.min(Math.max(yy, 0), h);
    const xs = Math.min(Math.max(xx, 0), w);
    const iy = Math.min(Math.floor(ys), h - 1);
    const ix = Math.min(Math.floor(xs), w - 1);
    const fy = ys - iy;
    const fx = xs - ix;
    return (
      integral[iy * W + ix] * (1 - fy) * (1 - fx) +
      integral[(iy + 1) * W + ix] * fy * (1 - fx) +
      integral[iy * W + ix + 1] * (1 - fy) * fx +
      integral[(iy + 1) * W + ix + 1] * fy * fx
    );
  };
  const phases = c.grid_phases;
  let best = new Float64Array(n * n);
  let bestScore = -1;
  let exact = false;
  const m = n + 1;
  for (const extra of c.grid_spans) {
    const cell = span / (c.box + extra);
    const ys = new Float64Array(phases * m);
    const xs = new Float64Array(phases * m);
    for (let p = 0; p < phases; p++)
      for (let k = 0; k < m; k++) {
        const edge = cell * (k - n / 2);
        ys[p * m + k] = centre[0] - cell * (p / phases) + edge;
        xs[p * m + k] = centre[1] - cell * (p / phases) + edge;
      }
    const corners = new Float64Array(ys.length * xs.length);
    for (let a = 0; a < ys.length; a++) for (let b = 0; b < xs.length; b++) corners[a * xs.length + b] = at(ys[a], xs[b]);
    let phaseBest = -1;
    let pBest = [0, 0];
    let gridBest = best;
    for (let py = 0; py < phases; py++)
      for (let px = 0; px < phases; px++) {
        const grid = new Float64Array(n * n);
        let s1 = 0;
        let s2 = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            const r0 = (py * m + i) * xs.length;
            const r1 = (py * m + i + 1) * xs.length;
            const c0 = px * m + j;
            const c1 = px * m + j + 1;
            const v = (corners[r1 + c1] - corners[r0 + c1] - corners[r1 + c0] + corners[r0 + c0]) / (cell * cell);
            const g = Math.min(1, Math.max(0, v));
            grid[i * n + j] = g;
            s1 += g;
            s2 += g * g;
          }
        const score = s2 / Math.max(s1, 1e-12);
        if (score > phaseBest) {
          phaseBest = score;
          pBest = [py, px];
          gridBest = grid;
        }
      }
    if (phaseBest > bestScore + 1e-12) {
      best = gridBest;
      bestScore = phaseBest;
      const [py, px] = pBest;
      let integer = true;
      for (let k = 0; k < m; k++) {
        for (const v of [ys[py * m + k], xs[px * m + k]]) if (Math.abs(v - Math.round(v)) > 1e-9) integer = false;
      }
      exact = Math.abs(cell - 1) < 1e-9 && integer;
    }
  }
  return { grid: best, exact, n };
}

/**
 * vae.data.inputs._crisp_strokes: stretch the grey levels so the ink-weighted median reaches MNIST's.
 * @param {Float64Array} digit
 * @param {DigitConstants} c
 */
function crispStrokes(digit, c) {
  const values = Float64Array.from(digit).sort();
  const mass = new Float64Array(values.length);
  let run = 0;
  values.forEach((v, i) => {
    run += v;
    mass[i] = run;
  });
  let k = 0;
  while (k < mass.length && mass[k] < mass[mass.length - 1] / 2) k++;
  const hi = Math.min(1, Math.max(0.6, values[k] / c.mnist_core));
  return hi < 1 ? digit.map((d) => Math.min(1, Math.max(0, (d - (1 - hi)) / (2 * hi - 1)))) : digit;
}
