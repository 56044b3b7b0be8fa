import { InputError } from '@sbert/core';
import { accurateSum } from '../internal/numeric.js';
import { checkFiniteArray, checkSameLength } from '../internal/validate.js';

/**
 * Pearson's correlation coefficient, computed as `scipy.stats.pearsonr(x, y).statistic`.
 *
 * `r = Σ (x_i − x̄)(y_i − ȳ) / (‖x − x̄‖ · ‖y − ȳ‖)`, clipped to [−1, 1]. As in scipy the centred
 * vectors are scaled by their largest magnitude before the norms are taken (no premature
 * overflow or underflow), and with two points the result is rounded to exactly ±1.
 *
 * Edge cases, as scipy 1.17:
 * - a constant `x` or `y` (every value equal to the first) gives `NaN` (scipy warns and returns NaN);
 * - fewer than 2 points throws `InputError` (scipy raises ValueError).
 *
 * @param x first variable, e.g. gold scores
 * @param y second variable, e.g. predicted similarities
 * @throws InputError on a length mismatch, an empty or 1-element input, or a non-finite value.
 * @see spearman for the rank correlation used as sentence-transformers' primary STS metric.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkFiniteArray('pearson', 'x', x);
  checkFiniteArray('pearson', 'y', y);
  checkSameLength('pearson', 'x', x, 'y', y);
  const n = x.length;
  if (n < 2) throw new InputError(`pearson: x and y have length ${n}; expected at least 2 points`);
  if (isConstant(x) || isConstant(y)) return Number.NaN;
  const r = correlation(x, y);
  // scipy promises exactly ±1 for two points.
  return n === 2 ? Math.round(r) : r;
}

/** Whether every value equals the first (scipy's exact constant-input test). */
export function isConstant(values: ArrayLike<number>): boolean {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return false;
  return true;
}

/**
 * Pearson correlation of two non-constant, equal-length, finite arrays (n >= 2), following
 * scipy's steps: centre, scale by the largest |deviation|, normalise, dot, clip.
 */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const xm = centredAndScaled(x);
  const ym = centredAndScaled(y);
  const nx = Math.sqrt(accurateSum(n, (i) => (xm[i] as number) ** 2));
  const ny = Math.sqrt(accurateSum(n, (i) => (ym[i] as number) ** 2));
  const r = accurateSum(n, (i) => ((xm[i] as number) / nx) * ((ym[i] as number) / ny));
  return Math.min(1, Math.max(-1, r));
}

/** `(v − mean) / max|v − mean|`; the scale cancels in the correlation. */
function centredAndScaled(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const mean = accurateSum(n, (i) => values[i] as number) / n;
  const out = new Float64Array(n);
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    out[i] = d;
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  if (maxAbs > 0) for (let i = 0; i < n; i++) out[i] = (out[i] as number) / maxAbs;
  return out;
}
