import { InputError } from '@sbert/core';
import { nextAfter } from '../internal/numeric.js';
import { checkBinaryLabels, checkFiniteArray, checkSameLength } from '../internal/validate.js';

/**
 * Which sentence-transformers threshold search to reproduce.
 *
 * - `'st5'` (default; the semantics the @sbert issue specifies, sentence-transformers up to v5.x):
 *   rows are stably sorted by score (most similar first; tied rows keep their input order), a cut
 *   is tried after every row except the last, the threshold is the midpoint of the scores on
 *   either side of the cut, and only a strict improvement replaces the best so far (so the first,
 *   most conservative best cut wins). Tied scores are not grouped: a cut may fall inside a tie,
 *   and the "everything positive" and "nothing positive" cuts are never tried.
 * - `'st6'` (what the pinned sentence-transformers 6.2.0 does): the same stable sort, but cuts are
 *   only tried between different scores, the accuracy search starts from "nothing positive"
 *   (threshold = `nextafter(best score)` in the scores' precision) and may also cut after the last
 *   row (threshold = that score), and a midpoint that rounds onto the next score is replaced by
 *   the current score.
 */
export type ThresholdSearch = 'st5' | 'st6';

/** Options shared by the threshold searches. */
export interface ThresholdOptions {
  /**
   * `true` (default) for similarities (higher = more similar: cosine, dot); `false` for
   * distances (lower = more similar: euclidean, manhattan), which are then ranked ascending.
   * Distances are NOT inverted as in sentence-transformers v3.3–v5 (#3886).
   */
  greaterIsBetter?: boolean;
  /** Which sentence-transformers variant to reproduce; default `'st5'`. */
  search?: ThresholdSearch;
}

/** Result of {@link findBestAccuracyAndThreshold}. */
export interface AccuracyAndThreshold {
  accuracy: number;
  threshold: number;
}

/** Result of {@link findBestF1AndThreshold}. */
export interface F1AndThreshold {
  f1: number;
  precision: number;
  recall: number;
  threshold: number;
}

/** Scores and labels after validation, with the most-similar-first stable order. */
interface Ranked {
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  order: number[];
  /** Midpoints and nextafter are computed in float32 when the scores are a Float32Array. */
  float32: boolean;
  greaterIsBetter: boolean;
}

function rank(fn: string, scores: ArrayLike<number>, labels: ArrayLike<number>, options: ThresholdOptions): Ranked {
  checkFiniteArray(fn, 'scores', scores);
  checkBinaryLabels(fn, 'labels', labels);
  checkSameLength(fn, 'scores', scores, 'labels', labels);
  const greaterIsBetter = options.greaterIsBetter ?? true;
  const search = options.search ?? 'st5';
  if (search !== 'st5' && search !== 'st6') {
    throw new InputError(`${fn}: options.search is ${String(search)}; expected 'st5' or 'st6'`);
  }
  // Array.prototype.sort is stable: tied rows keep their input order, as Python's sorted(),
  // also with reverse=True.
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) =>
    greaterIsBetter ? (scores[b] as number) - (scores[a] as number) : (scores[a] as number) - (scores[b] as number),
  );
  return { scores, labels, order, float32: scores instanceof Float32Array, greaterIsBetter };
}

/** `(a + b) / 2` in the precision of the scores (numpy float32 arithmetic stays float32). */
function midpoint(a: number, b: number, float32: boolean): number {
  return float32 ? Math.fround(Math.fround(a + b) / 2) : (a + b) / 2;
}

/**
 * The threshold that maximises accuracy when pairs scoring at or beyond it are predicted
 * positive: sentence-transformers' `BinaryClassificationEvaluator.find_best_acc_and_threshold`.
 *
 * With `search: 'st5'` (default), in pseudo-code:
 * ```
 * rows = stable sort of (score, label), most similar first
 * best = 0, threshold = −1, pos = 0, neg = #labels == 0
 * for i in 0 .. n−2:                       # the last row is never a cut
 *   if rows[i].label == 1: pos += 1 else: neg −= 1
 *   acc = (pos + neg) / n                   # rows[0..i] positive, the rest negative
 *   if acc > best: best = acc; threshold = (rows[i].score + rows[i+1].score) / 2
 * ```
 * A single row therefore gives `{ accuracy: 0, threshold: -1 }`. See {@link ThresholdSearch} for `'st6'`.
 *
 * @param scores one score per pair; a Float32Array makes midpoints float32 as in numpy
 * @param labels 1 = similar, 0 = dissimilar
 * @throws InputError on empty input, a length mismatch, a non-finite score or a label not 0/1.
 */
export function findBestAccuracyAndThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: ThresholdOptions = {},
): AccuracyAndThreshold {
  const r = rank('findBestAccuracyAndThreshold', scores, labels, options);
  return options.search === 'st6' ? accuracySt6(r) : accuracySt5(r);
}

function accuracySt5({ scores, labels, order, float32 }: Ranked): AccuracyAndThreshold {
  const n = order.length;
  let best = 0;
  let threshold = -1;
  let positives = 0;
  let negatives = countNegatives(labels);
  for (let j = 0; j < n - 1; j++) {
    const i = order[j] as number;
    if (labels[i] === 1) positives++;
    else negatives--;
    const acc = (positives + negatives) / n;
    if (acc > best) {
      best = acc;
      threshold = midpoint(scores[i] as number, scores[order[j + 1] as number] as number, float32);
    }
  }
  return { accuracy: best, threshold };
}

function accuracySt6({ scores, labels, order, float32, greaterIsBetter }: Ranked): AccuracyAndThreshold {
  const n = order.length;
  let positives = 0;
  let negatives = countNegatives(labels);
  // Start from "nothing predicted positive": just beyond the most similar score.
  let best = negatives / n;
  let threshold = nextAfter(scores[order[0] as number] as number, greaterIsBetter, float32);
  for (let j = 0; j < n; j++) {
    const i = order[j] as number;
    if (labels[i] === 1) positives++;
    else negatives--;
    const score = scores[i] as number;
    const isLast = j === n - 1;
    const next = isLast ? Number.NaN : (scores[order[j + 1] as number] as number);
    if (!isLast && score === next) continue; // only cut between different scores
    const acc = (positives + negatives) / n;
    if (acc > best) {
      best = acc;
      threshold = cutThreshold(score, next, isLast, float32);
    }
  }
  return { accuracy: best, threshold };
}

/** st6: the last row cuts at its own score; a midpoint rounded onto the next score falls back. */
function cutThreshold(score: number, next: number, isLast: boolean, float32: boolean): number {
  if (isLast) return score;
  const mid = midpoint(score, next, float32);
  return mid === next ? score : mid;
}

/**
 * The threshold that maximises F1 of the positive class: sentence-transformers'
 * `BinaryClassificationEvaluator.find_best_f1_and_threshold`.
 *
 * With `search: 'st5'` (default): the same scan as {@link findBestAccuracyAndThreshold}, with
 * `precision = tp / (i + 1)`, `recall = tp / #positives`, `F1 = 2pr / (p + r)`, evaluated only
 * once a positive has been seen; everything stays 0 (threshold 0) if no cut has a positive.
 *
 * @throws InputError on empty input, a length mismatch, a non-finite score or a label not 0/1.
 */
export function findBestF1AndThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: ThresholdOptions = {},
): F1AndThreshold {
  const { scores: s, labels: l, order, float32 } = rank('findBestF1AndThreshold', scores, labels, options);
  const st6 = options.search === 'st6';
  const n = order.length;
  const totalPositives = n - countNegatives(l);
  let best: F1AndThreshold = { f1: 0, precision: 0, recall: 0, threshold: 0 };
  let extracted = 0;
  let correct = 0;
  const last = st6 ? n : n - 1;
  for (let j = 0; j < last; j++) {
    const i = order[j] as number;
    extracted++;
    if (l[i] === 1) correct++;
    const score = s[i] as number;
    const isLast = j === n - 1;
    const next = isLast ? Number.NaN : (s[order[j + 1] as number] as number);
    if (st6 && !isLast && score === next) continue;
    if (correct > 0) {
      const precision = correct / extracted;
      const recall = correct / totalPositives;
      const f1 = (2 * precision * recall) / (precision + recall);
      if (f1 > best.f1) {
        const threshold = st6 ? cutThreshold(score, next, isLast, float32) : midpoint(score, next, float32);
        best = { f1, precision, recall, threshold };
      }
    }
  }
  return best;
}

function countNegatives(labels: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 0) c++;
  return c;
}
