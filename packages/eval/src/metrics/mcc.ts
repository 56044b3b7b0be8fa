import { checkBinaryLabels, checkSameLength } from '../internal/validate.js';

/**
 * Matthews correlation coefficient from binary confusion counts, as
 * `sklearn.metrics.matthews_corrcoef` computes it:
 *
 *   `MCC = (tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn))`,
 *
 * written in sklearn's multiclass form (`cov(y, ŷ) / √(cov(y, y) · cov(ŷ, ŷ))` over the confusion
 * matrix). When a row or column of the confusion matrix is empty (one class only, or a constant
 * prediction) the denominator is 0 and the result is 0, as in sklearn.
 */
export function mccFromCounts(tp: number, fp: number, fn: number, tn: number): number {
  const n = tp + fp + fn + tn;
  const trueNeg = tn + fp;
  const truePos = fn + tp;
  const predNeg = tn + fn;
  const predPos = fp + tp;
  const covYtYp = (tp + tn) * n - (trueNeg * predNeg + truePos * predPos);
  const covYpYp = n * n - (predNeg * predNeg + predPos * predPos);
  const covYtYt = n * n - (trueNeg * trueNeg + truePos * truePos);
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

/**
 * Matthews correlation coefficient of binary predictions against binary labels:
 * `sklearn.metrics.matthews_corrcoef(labels, predicted)`. See {@link mccFromCounts}.
 *
 * @param predicted 0/1 (or boolean) predictions
 * @param labels 0/1 gold labels
 * @throws InputError on empty input, a length mismatch or values other than 0/1.
 */
export function matthewsCorrcoef(predicted: ArrayLike<number | boolean>, labels: ArrayLike<number>): number {
  const pred = Array.from(predicted, (v) => (typeof v === 'boolean' ? Number(v) : v));
  checkBinaryLabels('matthewsCorrcoef', 'predicted', pred);
  checkBinaryLabels('matthewsCorrcoef', 'labels', labels);
  checkSameLength('matthewsCorrcoef', 'predicted', pred, 'labels', labels);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] === 1) {
      if (labels[i] === 1) tp++;
      else fp++;
    } else if (labels[i] === 1) fn++;
    else tn++;
  }
  return mccFromCounts(tp, fp, fn, tn);
}
