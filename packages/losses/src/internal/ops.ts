/**
 * Differentiable building blocks whose values *and gradients* match PyTorch's at the corner
 * cases the losses meet (zero vectors, zero distances, masked entries), where TF.js's own
 * gradients differ:
 *
 * - `tf.abs` has gradient -1 at 0 in TF.js; torch uses sign(x), i.e. 0.
 * - `tf.norm` is sqrt(sum(x²)), whose gradient at the zero vector is 0/0 = NaN; torch's
 *   vector_norm returns 0 there.
 * - TF.js has no `detach()`/`stop_gradient`, and comparisons (`less`, `equal`, ...) have no
 *   registered gradient, so masks computed from differentiable values must be built off-tape.
 *
 * Internal: not exported from the package.
 */
import { tf } from '@sbert/core';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** Wraps a typed custom-gradient function for `tf.customGrad` (its typing is variadic). */
function custom<T extends tf.Tensor>(f: (...args: never[]) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }) {
  return tf.customGrad(f as unknown as CustomGradFn) as unknown as (...xs: tf.Tensor[]) => T;
}

/**
 * Euclidean norm over the last axis with keepDims, `(B, D) -> (B, 1)`; gradient `x / ‖x‖`,
 * and 0 at the zero vector (torch's `linalg.vector_norm` backward).
 */
export const l2Norm = custom((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
  save([x, norm]);
  return {
    value: norm,
    gradFunc: (dy: tf.Tensor, [xs, ns]: tf.Tensor[]) => tf.mul(dy, tf.divNoNan(xs!, ns!)),
  };
});

/** `|x|` with torch's gradient `sign(x)` (0 at 0). */
export function safeAbs(x: tf.Tensor): tf.Tensor {
  // d/dx (x * sign(x)) = sign(x) + x * 0; TF.js's Sign gradient is zero.
  return tf.mul(x, tf.sign(x));
}

/**
 * `max(x, eps)` in value, identity in gradient. This is what `torch.cosine_similarity` does to
 * the norms (it clamps them in place under no_grad), so the gradient still flows through the
 * unclamped norm.
 */
export const clampMinStraightThrough = (x: tf.Tensor, eps: number): tf.Tensor =>
  custom((t: tf.Tensor) => ({
    value: tf.maximum(t, eps),
    gradFunc: (dy: tf.Tensor) => dy,
  }))(x);

/** Identity in value, zero gradient: torch's `tensor.detach()`. */
export const stopGradient = custom((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * Runs `f` off the gradient tape and returns its (float32) result with a zero gradient for
 * every input. Use it for masks and thresholds computed from differentiable values, e.g.
 * `d < max(d[positives])`: comparisons have no gradient in TF.js and must not be taped.
 */
export function nonDifferentiable(inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  const op = custom((...args: tf.Tensor[]) => ({
    // customGrad passes a save function as the last argument; drop it.
    value: tf.cast(f(...args.slice(0, inputs.length)), 'float32'),
    gradFunc: () => inputs.map((t) => tf.zerosLike(t)),
  }));
  return op(...inputs);
}

/**
 * `log Σ exp(x)` over `axis` (dropped), stable for masked entries set to `-Infinity` as long as
 * each reduced slice has one finite entry. Gradient `softmax(x)` (no flow through the max
 * shift, unlike the composite `tf.logSumExp`, which routes gradient to every tied maximum).
 */
export function logSumExp(x: tf.Tensor, axis: number): tf.Tensor {
  const op = custom((t: tf.Tensor, save: tf.GradSaveFunc) => {
    const max = tf.max(t, axis, true);
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(t, max)), axis, true)), max);
    save([t, lse]);
    return {
      value: tf.squeeze(lse, [axis]),
      gradFunc: (dy: tf.Tensor, [ts, lses]: tf.Tensor[]) =>
        tf.mul(tf.expandDims(dy, axis), tf.exp(tf.sub(ts!, lses!))),
    };
  });
  return op(x);
}

/** Mean squared error `mean((a - b)²)` over all elements (torch `nn.MSELoss()`). */
export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(a, b)));
}

/**
 * Mean cross-entropy of `(B, C)` logits against class indices given as a one-hot float
 * matrix `(B, C)`, or against class probabilities of the same shape (torch
 * `nn.CrossEntropyLoss()` with index or probability targets).
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const logProbs = tf.sub(logits, tf.expandDims(logSumExp(logits, 1), 1)); // (B, C)
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbs), 1))) as tf.Scalar;
}
