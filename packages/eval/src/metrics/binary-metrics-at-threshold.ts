import { checkBinaryLabels, checkFiniteArray, checkSameLength } from '../internal/validate.js';
import { mccFromCounts } from './mcc.js';

/** Confusion counts and the metrics derived from them; see {@link binaryMetricsAtThreshold}. */
export interface BinaryMetricsAtThreshold {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  accuracy: number;
  /** tp / (tp + fp); 0 when nothing is predicted positive (sklearn `zero_division=0`). */
  precision: number;
  /** tp / (tp + fn); 0 when there is no positive label. */
  recall: number;
  /** 2·tp / (2·tp + fp + fn); 0 when that denominator is 0. */
  f1: number;
  /** Matthews correlation, 0 when undefined (as sklearn). */
  mcc: number;
}

/**
 * Precision, recall, F1, accuracy and MCC when pairs are predicted positive at a fixed threshold:
 * `score >= threshold` for similarities, `score <= threshold` for distances
 * (`greaterIsBetter: false`). This is the rule sentence-transformers' BinaryClassificationEvaluator
 * uses for its MCC at the F1 threshold, and it matches sklearn's `precision_score`,
 * `recall_score`, `f1_score` (with `zero_division=0`) and `matthews_corrcoef`.
 *
 * @throws InputError on empty input, a length mismatch, a non-finite score or threshold, or a label not 0/1.
 */
export function binaryMetricsAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
  options: { greaterIsBetter?: boolean } = {},
): BinaryMetricsAtThreshold {
  checkFiniteArray('binaryMetricsAtThreshold', 'scores', scores);
  checkBinaryLabels('binaryMetricsAtThreshold', 'labels', labels);
  checkSameLength('binaryMetricsAtThreshold', 'scores', scores, 'labels', labels);
  checkFiniteArray('binaryMetricsAtThreshold', 'threshold', [threshold]);
  const greaterIsBetter = options.greaterIsBetter ?? true;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    const positive = greaterIsBetter ? s >= threshold : s <= threshold;
    if (positive) {
      if (labels[i] === 1) tp++;
      else fp++;
    } else if (labels[i] === 1) fn++;
    else tn++;
  }
  return {
    tp,
    fp,
    fn,
    tn,
    accuracy: (tp + tn) / scores.length,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: tp + fn === 0 ? 0 : tp / (tp + fn),
    f1: 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    mcc: mccFromCounts(tp, fp, fn, tn),
  };
}
