import { accurateSum } from '../internal/numeric.js';
import { checkBinaryLabels, checkFiniteArray, checkSameLength } from '../internal/validate.js';

/**
 * Average precision as `sklearn.metrics.average_precision_score(labels, scores)` computes it:
 * the step-wise area under the precision–recall curve, without interpolation,
 *
 *   `AP = Σ_k (R_k − R_{k−1}) · P_k`, R_{-1} = 0,
 *
 * over the distinct score values k in descending order, where P_k and R_k are precision and
 * recall when every pair scoring ≥ that value is predicted positive. Tied scores form one step.
 *
 * - No positive label: sklearn sets recall to 1 everywhere, which gives AP = 0 (it warns).
 * - Higher scores must mean "more likely positive": pass negated distances.
 *
 * Note the argument order is (scores, labels) like every metric here, not sklearn's (y_true, y_score).
 *
 * @throws InputError on empty input, a length mismatch, a non-finite score or a label not 0/1.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkFiniteArray('averagePrecision', 'scores', scores);
  checkBinaryLabels('averagePrecision', 'labels', labels);
  checkSameLength('averagePrecision', 'scores', scores, 'labels', labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  let totalPositives = 0;
  for (let i = 0; i < n; i++) totalPositives += labels[i] as number;

  // One (precision, recall increment) step per group of equal scores.
  const terms: number[] = [];
  let tp = 0;
  let prevRecall = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j] as number;
    tp += labels[i] as number;
    const endOfGroup = j === n - 1 || scores[order[j + 1] as number] !== scores[i];
    if (!endOfGroup) continue;
    const precision = tp / (j + 1);
    const recall = totalPositives === 0 ? 1 : tp / totalPositives;
    terms.push((recall - prevRecall) * precision);
    prevRecall = recall;
  }
  // sklearn clips a rounding-error −0.0 to 0.
  return Math.max(0, accurateSum(terms.length, (k) => terms[k] as number));
}
