import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, rowLabels, type InputSpec } from './loss.js';
import { torchCosineSimilarity, torchPairwiseDistance } from './internal/similarity.js';

/** Distance of the contrastive losses (ST's `SiameseDistanceMetric`). */
export type SiameseDistanceMetric = 'cosine' | 'euclidean' | 'manhattan';

/**
 * The distances of ST's `SiameseDistanceMetric`: `COSINE_DISTANCE` = `1 − torch.cosine_similarity`,
 * `EUCLIDEAN` / `MANHATTAN` = `F.pairwise_distance(a, b, p)` = `‖a − b + 1e-6‖_p`. `(B,)`.
 */
export const SIAMESE_DISTANCES: Record<SiameseDistanceMetric, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D> = {
  cosine: (a, b) => tf.sub(1, torchCosineSimilarity(a, b)),
  euclidean: (a, b) => torchPairwiseDistance(a, b, 2),
  manhattan: (a, b) => torchPairwiseDistance(a, b, 1),
};

/** ST's enum name for a metric, e.g. `SiameseDistanceMetric.COSINE_DISTANCE`. */
export function siameseMetricName(metric: SiameseDistanceMetric): string {
  return `SiameseDistanceMetric.${metric === 'cosine' ? 'COSINE_DISTANCE' : metric.toUpperCase()}`;
}

/** Options of {@link ContrastiveLoss}; defaults are sentence-transformers'. */
export interface ContrastiveLossOptions {
  /** Default `'cosine'` (cosine distance `1 − cos`). */
  distanceMetric?: SiameseDistanceMetric;
  /** Negative pairs are pushed at least this far apart. Default 0.5. */
  margin?: number;
  /** Mean over the batch (true) or sum. Default true. */
  sizeAverage?: boolean;
}

/**
 * Contrastive loss: similar pairs (label 1) are pulled together, dissimilar pairs (label 0) are
 * pushed apart until their distance exceeds the margin.
 *
 * Formula: `ℓ_i = ½ · (y_i · d_i² + (1 − y_i) · max(m − d_i, 0)²)`, `loss = mean_i ℓ_i` (or the
 * sum), with d the cosine distance `1 − cos(a, b)` by default and m = 0.5. Non-binary labels
 * are used as weights, as in ST.
 *
 * Inputs: 2 text columns `(sentence_A, sentence_B)`; labels: 1 (similar) or 0 (dissimilar)
 * per pair, shape `(B,)`.
 *
 * Relations: {@link OnlineContrastiveLoss} only uses the hard pairs of the batch and often
 * works better; {@link CoSENTLoss} uses the same data as a ranking.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/contrastive.py (ST 6.2.0);
 * Hadsell, Chopra & LeCun, "Dimensionality Reduction by Learning an Invariant Mapping",
 * CVPR 2006.
 *
 * @example
 * ```ts
 * const value = new ContrastiveLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([1, 0, 1]));
 * ```
 */
export class ContrastiveLoss extends BaseLoss {
  readonly name = 'ContrastiveLoss';
  readonly textColumns = 2;
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;
  readonly sizeAverage: boolean;
  protected override readonly expects: InputSpec = {
    columns: '(sentence_A, sentence_B) pairs',
    labels: '1 for a similar pair, 0 for a dissimilar one, shape [B]',
  };

  constructor(options: ContrastiveLossOptions = {}) {
    super();
    this.distanceMetric = options.distanceMetric ?? 'cosine';
    this.margin = options.margin ?? 0.5;
    this.sizeAverage = options.sizeAverage ?? true;
    if (!(this.distanceMetric in SIAMESE_DISTANCES)) {
      throw new ConfigError(`ContrastiveLoss: unknown distanceMetric '${String(this.distanceMetric)}'; valid: ${Object.keys(SIAMESE_DISTANCES).join(', ')}`, { field: 'distanceMetric' });
    }
    if (!Number.isFinite(this.margin)) throw new ConfigError(`ContrastiveLoss: margin must be a finite number, got ${this.margin}`, { field: 'margin' });
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize } = this.check(embeddings, labels);
    return tf.tidy(() => {
      const y = rowLabels(this, this.expects, labels, batchSize);
      const d = SIAMESE_DISTANCES[this.distanceMetric](embeddings[0]!, embeddings[1]!);
      const pull = tf.mul(y, tf.square(d));
      const push = tf.mul(tf.sub(1, y), tf.square(tf.relu(tf.sub(this.margin, d))));
      const losses = tf.mul(0.5, tf.add(pull, push));
      return (this.sizeAverage ? tf.mean(losses) : tf.sum(losses)) as tf.Scalar;
    });
  }

  override toConfig(): Record<string, unknown> {
    return { distance_metric: siameseMetricName(this.distanceMetric), margin: this.margin, size_average: this.sizeAverage };
  }
}
