/**
 * Similarity and distance functions as the losses use them, with sentence-transformers' /
 * torch's exact semantics (sentence_transformers.util.similarity, torch.nn.functional):
 *
 * | here                      | reference                                   | eps semantics                     |
 * |---------------------------|---------------------------------------------|-----------------------------------|
 * | `normalize`               | `F.normalize(x, p=2, dim=-1)`               | `x / max(‖x‖, 1e-12)`, clamp blocks gradient |
 * | `cosSim`                  | `util.cos_sim` (matrix)                     | via `normalize`                   |
 * | `dotScore`                | `util.dot_score` (matrix)                   |                                   |
 * | `pairwiseCosSim`          | `util.pairwise_cos_sim`                     | via `normalize`                   |
 * | `pairwiseDotScore`        | `util.pairwise_dot_score`                   |                                   |
 * | `pairwiseAngleSim`        | `util.pairwise_angle_sim`                   | via `normalize`; odd D zero-padded |
 * | `torchCosineSimilarity`   | `torch.cosine_similarity(a, b)`             | norms clamped at 1e-8, straight-through gradient |
 * | `pairwiseEuclideanDistance` | `-util.pairwise_euclidean_sim` = `‖a-b‖₂` | none                              |
 * | `pairwiseManhattanDistance` | `-util.pairwise_manhattan_sim` = `Σ|a-b|` | none                              |
 * | `torchPairwiseDistance`   | `F.pairwise_distance(a, b, p)`              | `‖a - b + 1e-6‖_p`                |
 *
 * Shapes: `a` is `(B, D)`, `b` is `(C, D)` for matrices and `(B, D)` for pairwise functions.
 * Internal: not exported from the package.
 */
import { tf } from '@sbert/core';
import { clampMinStraightThrough, l2Norm, safeAbs } from './ops.js';

/** `F.normalize(x, p=2, dim=-1, eps=1e-12)`: `(B, D) -> (B, D)`. */
export function normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  // torch clamp_min passes gradient where norm >= eps, like tf.maximum's first input.
  return tf.div(x, tf.maximum(l2Norm(x), eps));
}

/** Cosine-similarity matrix `(B, D) x (C, D) -> (B, C)`. */
export function cosSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(normalize(a), normalize(b), false, true);
}

/** Dot-product matrix `(B, D) x (C, D) -> (B, C)`. */
export function dotScore(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b, false, true);
}

/** Row-wise cosine similarity `(B, D) x (B, D) -> (B,)`. */
export function pairwiseCosSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(normalize(a), normalize(b)), -1);
}

/** Row-wise dot product `(B, D) x (B, D) -> (B,)`. */
export function pairwiseDotScore(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(a, b), -1);
}

/**
 * AnglE's angle similarity as sentence-transformers 6.2 computes it (`pairwise_angle_sim`,
 * the complex-division form rewritten as cosine + sine after L2 normalisation):
 * `|Σ x̂·ŷ + Σ (x̂₂·ŷ₁ − x̂₁·ŷ₂)|` where `x̂ = normalize(x)` and `x̂₁, x̂₂` are its first and
 * second halves. An odd D is zero-padded to D + 1 first. `(B, D) x (B, D) -> (B,)`.
 */
export function pairwiseAngleSim(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
  if (x.shape[1] % 2 !== 0) {
    x = tf.pad(x, [[0, 0], [0, 1]]);
    y = tf.pad(y, [[0, 0], [0, 1]]);
  }
  const half = x.shape[1] / 2;
  const nx = normalize(x);
  const ny = normalize(y);
  const cosines = tf.sum(tf.mul(nx, ny), 1);
  const [firstX, lastX] = tf.split(nx, [half, half], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [firstY, lastY] = tf.split(ny, [half, half], 1) as [tf.Tensor2D, tf.Tensor2D];
  const sines = tf.sum(tf.sub(tf.mul(lastX, firstY), tf.mul(firstX, lastY)), 1);
  return safeAbs(tf.add(cosines, sines)) as tf.Tensor1D;
}

/**
 * `torch.cosine_similarity(a, b, dim=-1, eps=1e-8)`: `Σ (a / max(‖a‖, eps)) · (b / max(‖b‖, eps))`
 * where the clamp changes the value only (torch clamps the norms in place under no_grad).
 * `(B, D) x (B, D) -> (B,)`.
 */
export function torchCosineSimilarity(a: tf.Tensor2D, b: tf.Tensor2D, eps = 1e-8): tf.Tensor1D {
  const na = clampMinStraightThrough(l2Norm(a), eps);
  const nb = clampMinStraightThrough(l2Norm(b), eps);
  return tf.sum(tf.mul(tf.div(a, na), tf.div(b, nb)), -1);
}

/** `‖a − b‖₂` per row, gradient 0 where a = b. `(B, D) x (B, D) -> (B,)`. */
export function pairwiseEuclideanDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.squeeze(l2Norm(tf.sub(a, b)), [1]);
}

/** `Σ |a − b|` per row, gradient 0 where a component ties. `(B, D) x (B, D) -> (B,)`. */
export function pairwiseManhattanDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(safeAbs(tf.sub(a, b)), -1);
}

/** `F.pairwise_distance(a, b, p, eps=1e-6)` = `‖a − b + eps‖_p` for p ∈ {1, 2}. `(B,)`. */
export function torchPairwiseDistance(a: tf.Tensor2D, b: tf.Tensor2D, p: 1 | 2, eps = 1e-6): tf.Tensor1D {
  const diff = tf.add(tf.sub(a, b), eps) as tf.Tensor2D;
  return p === 2 ? tf.squeeze(l2Norm(diff), [1]) : tf.sum(safeAbs(diff), -1);
}

/** Names of the matrix similarity functions a loss can be configured with (ST's names). */
export type MatrixSimilarityName = 'cos_sim' | 'dot_score';
/** Names of the pairwise similarity functions a loss can be configured with (ST's names). */
export type PairwiseSimilarityName = 'pairwise_cos_sim' | 'pairwise_dot_score' | 'pairwise_angle_sim';

export const MATRIX_SIMILARITIES: Record<MatrixSimilarityName, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D> = {
  cos_sim: cosSim,
  dot_score: dotScore,
};

export const PAIRWISE_SIMILARITIES: Record<PairwiseSimilarityName, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D> = {
  pairwise_cos_sim: pairwiseCosSim,
  pairwise_dot_score: pairwiseDotScore,
  pairwise_angle_sim: pairwiseAngleSim,
};
