import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, checkEmbeddings, labelError, type InputSpec } from './loss.js';
import { cosentFromPairs } from './cosent-loss.js';

/** Options of {@link AnglELoss}; defaults are sentence-transformers'. */
export interface AnglELossOptions {
  /** Inverse temperature. Default 20. */
  scale?: number;
}

/**
 * AnglE loss: {@link CoSENTLoss} with the angle similarity instead of the cosine, which
 * avoids the vanishing gradients of cosine near ±1 (saturation zones).
 *
 * Formula: CoSENT, `log(1 + Σ_{y_i < y_j} exp(scale · (θ_i − θ_j)))`, where
 * `θ = |Σ x̂·ŷ + Σ (x̂₂·ŷ₁ − x̂₁·ŷ₂)|` with `x̂ = x / ‖x‖` split into halves `x̂₁, x̂₂` (the
 * complex-division form of the paper written as cosine + sine, as in ST 6.2's
 * `pairwise_angle_sim`; an odd D is zero-padded).
 *
 * Inputs: 2 text columns `(sentence_A, sentence_B)` with one float score per pair, shape
 * `(B,)`; or n ≥ 3 columns `(anchor, positive, negative_1, …)`, labels optional (default 1),
 * turned into pairs `(anchor, positive)` labelled `y` and `(anchor, negative_k)` labelled
 * `1 − y`.
 *
 * Relations: CoSENT with a different similarity; see {@link CoSENTLoss}.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/angle.py (ST 6.2.0);
 * Li & Li, "AnglE-optimized Text Embeddings", arXiv:2309.12871.
 *
 * @example
 * ```ts
 * const value = new AnglELoss().computeLossFromEmbeddings([a, b], scores);   // scalar
 * ```
 */
export class AnglELoss extends BaseLoss {
  readonly name = 'AnglELoss';
  readonly textColumns = { min: 2 };
  readonly scale: number;
  protected override readonly expects: InputSpec = {
    columns: '(sentence_A, sentence_B) pairs, or (anchor, positive, negative...) tuples',
    labels: 'one float similarity score per row, shape [B] (optional with 3 or more columns, default 1)',
  };

  constructor(options: AnglELossOptions = {}) {
    super();
    this.scale = options.scale ?? 20.0;
    if (!Number.isFinite(this.scale)) throw new ConfigError(`AnglELoss: scale must be a finite number, got ${this.scale}`, { field: 'scale' });
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize } = checkEmbeddings(this, this.expects, embeddings);
    if (labels === undefined ? embeddings.length === 2 : !(labels instanceof tf.Tensor) || labels.size !== batchSize) {
      const got = labels === undefined ? 'no labels' : `${labels instanceof tf.Tensor ? labels.size : typeof labels} labels for a batch of ${batchSize}`;
      throw labelError(this, this.expects, got);
    }
    return tf.tidy(() => {
      const k = embeddings.length - 1; // number of candidate columns
      const y = labels === undefined ? tf.ones([batchSize]) : tf.cast(tf.reshape(labels, [batchSize]), 'float32');
      if (k === 1) return cosentFromPairs(this.scale, 'pairwise_angle_sim', embeddings[0]!, embeddings[1]!, y, batchSize);
      // n-tuples: (anchor, positive) with label y, (anchor, negative_k) with label 1 − y.
      const anchors = tf.tile(embeddings[0]!, [k, 1]) as tf.Tensor2D; // (kB, D)
      const candidates = tf.concat(embeddings.slice(1), 0); // (kB, D)
      const negLabel = tf.sub(1, y);
      const pairLabels = tf.concat([y, ...Array.from({ length: k - 1 }, () => negLabel)]);
      return cosentFromPairs(this.scale, 'pairwise_angle_sim', anchors, candidates, pairLabels, k * batchSize);
    });
  }

  override toConfig(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: 'pairwise_angle_sim' };
  }
}
