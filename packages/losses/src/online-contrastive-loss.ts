import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, rowLabels, type InputSpec } from './loss.js';
import { nonDifferentiable } from './internal/ops.js';
import { SIAMESE_DISTANCES, siameseMetricName, type SiameseDistanceMetric } from './contrastive-loss.js';

/** Options of {@link OnlineContrastiveLoss}; defaults are sentence-transformers'. */
export interface OnlineContrastiveLossOptions {
  /** Default `'cosine'` (cosine distance `1 − cos`). */
  distanceMetric?: SiameseDistanceMetric;
  /** Negative pairs closer than this are penalised. Default 0.5. */
  margin?: number;
}

/**
 * Online contrastive loss: {@link ContrastiveLoss} on the hard pairs of the batch only.
 *
 * Formula, with distances d, positives P (label 1) and negatives N (label 0):
 *
 *     hard negatives  N' = { i ∈ N : d_i < max_{j∈P} d_j }   (threshold mean_{N} d if P is empty)
 *     hard positives  P' = { i ∈ P : d_i > min_{j∈N} d_j }   (threshold mean_{P} d if N is empty)
 *     loss = Σ_{i∈P'} d_i² + Σ_{i∈N'} max(m − d_i, 0)²
 *
 * A sum, not a mean; the selection carries no gradient. Rows with labels other than 0 or 1 are
 * ignored, as in ST.
 *
 * Inputs: 2 text columns `(sentence_A, sentence_B)`; labels: 1 or 0 per pair, shape `(B,)`.
 *
 * Relations: {@link ContrastiveLoss} uses every pair.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/online_contrastive.py
 * (ST 6.2.0).
 *
 * @example
 * ```ts
 * const value = new OnlineContrastiveLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([1, 0, 0, 1]));
 * ```
 */
export class OnlineContrastiveLoss extends BaseLoss {
  readonly name = 'OnlineContrastiveLoss';
  readonly textColumns = 2;
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;
  protected override readonly expects: InputSpec = {
    columns: '(sentence_A, sentence_B) pairs',
    labels: '1 for a similar pair, 0 for a dissimilar one, shape [B]',
  };

  constructor(options: OnlineContrastiveLossOptions = {}) {
    super();
    this.distanceMetric = options.distanceMetric ?? 'cosine';
    this.margin = options.margin ?? 0.5;
    if (!(this.distanceMetric in SIAMESE_DISTANCES)) {
      throw new ConfigError(`OnlineContrastiveLoss: unknown distanceMetric '${String(this.distanceMetric)}'; valid: ${Object.keys(SIAMESE_DISTANCES).join(', ')}`, { field: 'distanceMetric' });
    }
    if (!Number.isFinite(this.margin)) throw new ConfigError(`OnlineContrastiveLoss: margin must be a finite number, got ${this.margin}`, { field: 'margin' });
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize } = this.check(embeddings, labels);
    return tf.tidy(() => {
      const y = rowLabels(this, this.expects, labels, batchSize);
      const d = SIAMESE_DISTANCES[this.distanceMetric](embeddings[0]!, embeddings[1]!); // (B,)
      const isPos = tf.equal(y, 1);
      const isNeg = tf.equal(y, 0);
      // The hard-pair masks depend on d but carry no gradient (ST selects by boolean indexing).
      const [hardPos, hardNeg] = [true, false].map((positive) =>
        nonDifferentiable([d], (dist) => {
          const nPos = tf.sum(tf.cast(isPos, 'float32'));
          const nNeg = tf.sum(tf.cast(isNeg, 'float32'));
          const maxPos = tf.max(tf.where(isPos, dist!, tf.fill([batchSize], -Infinity)));
          const minNeg = tf.min(tf.where(isNeg, dist!, tf.fill([batchSize], Infinity)));
          const meanPos = tf.div(tf.sum(tf.where(isPos, dist!, tf.zerosLike(dist!))), nPos);
          const meanNeg = tf.div(tf.sum(tf.where(isNeg, dist!, tf.zerosLike(dist!))), nNeg);
          if (positive) {
            const threshold = tf.where(tf.greater(nNeg, 0), minNeg, meanPos);
            return tf.logicalAnd(isPos, tf.greater(dist!, threshold));
          }
          const threshold = tf.where(tf.greater(nPos, 0), maxPos, meanNeg);
          return tf.logicalAnd(isNeg, tf.less(dist!, threshold));
        }),
      ) as [tf.Tensor, tf.Tensor];
      const positiveLoss = tf.sum(tf.mul(hardPos, tf.square(d)));
      const negativeLoss = tf.sum(tf.mul(hardNeg, tf.square(tf.relu(tf.sub(this.margin, d)))));
      return tf.add(positiveLoss, negativeLoss) as tf.Scalar;
    });
  }

  override toConfig(): Record<string, unknown> {
    return { distance_metric: siameseMetricName(this.distanceMetric), margin: this.margin };
  }
}
