import { checkFiniteArray, checkSameLength } from '../internal/validate.js';
import { correlation, isConstant } from './pearson.js';

/**
 * Ranks with ties given their average rank, 1-based: `scipy.stats.rankdata(values, 'average')`.
 *
 * Example: `rankData([10, 20, 10, 30])` → `[1.5, 3, 1.5, 4]`.
 */
export function rankData(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    // [start, end) is one group of equal values; all of it gets the mean of ranks start+1 .. end.
    let end = start + 1;
    while (end < n && values[order[end] as number] === values[order[start] as number]) end++;
    const avg = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) ranks[order[j] as number] = avg;
    start = end;
  }
  return ranks;
}

/**
 * Spearman's rank correlation, computed as `scipy.stats.spearmanr(x, y).statistic`: the Pearson
 * correlation of the average ranks (ties share the mean of the ranks they span, which matters
 * for integer STS gold scores and 0/1 labels).
 *
 * Edge cases, as scipy 1.17:
 * - a single point gives `NaN`;
 * - a constant `x` or `y` gives `NaN` (scipy warns and returns NaN).
 *
 * This is the primary metric of sentence-transformers' EmbeddingSimilarityEvaluator
 * (`spearman_cosine`).
 *
 * @throws InputError on a length mismatch, an empty input, or a non-finite value (scipy would
 * propagate NaN; here NaN scores are treated as a bug upstream).
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkFiniteArray('spearman', 'x', x);
  checkFiniteArray('spearman', 'y', y);
  checkSameLength('spearman', 'x', x, 'y', y);
  if (x.length < 2 || isConstant(x) || isConstant(y)) return Number.NaN;
  return correlation(rankData(x), rankData(y));
}
