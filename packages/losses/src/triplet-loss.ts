import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, type InputSpec } from './loss.js';
import { pairwiseCosSim, pairwiseEuclideanDistance, pairwiseManhattanDistance } from './internal/similarity.js';

/** Distance of {@link TripletLoss} (ST's `TripletDistanceMetric`), always a positive distance. */
export type TripletDistanceMetric = 'euclidean' | 'cosine' | 'manhattan';

/** Options of {@link TripletLoss}; defaults are sentence-transformers'. */
export interface TripletLossOptions {
  /** Default `'euclidean'` (`‖a − b‖₂`); `'cosine'` is `1 − cos(a, b)`; `'manhattan'` is `Σ|a − b|`. */
  distanceMetric?: TripletDistanceMetric;
  /** Margin ε by which the negative must be farther than the positive. Default 5. */
  tripletMargin?: number;
}

const DISTANCES: Record<TripletDistanceMetric, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D> = {
  euclidean: pairwiseEuclideanDistance,
  manhattan: pairwiseManhattanDistance,
  cosine: (a, b) => tf.sub(1, pairwiseCosSim(a, b)),
};

/**
 * Triplet loss: the anchor must be closer to the positive than to the negative by a margin.
 *
 * Formula: `loss = mean_i max(d(a_i, p_i) − d(a_i, n_i) + ε, 0)` with the documented
 * **positive** distances d: euclidean `‖a − b‖₂` (default), cosine `1 − cos(a, b)`, manhattan
 * `Σ|a − b|`; ε = 5 by default (suited to euclidean distances of unnormalised embeddings; use a
 * much smaller margin with cosine).
 *
 * Note: sentence-transformers 5.x computed EUCLIDEAN and MANHATTAN with the *negative*
 * distances of `pairwise_euclidean_sim`/`pairwise_manhattan_sim`, which inverts the loss. This
 * class follows the documented formula; ST 6.2.0 negates them again (the parity script checks
 * that it agrees). The gradient of a zero distance is 0, as in torch.
 *
 * Inputs: 3 text columns `(anchor, positive, negative)`; no labels.
 *
 * Relations: {@link MultipleNegativesRankingLoss} uses all in-batch negatives and usually
 * trains better on the same data; BatchHard/BatchAll triplet losses (not here) mine triplets
 * from class labels.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/triplet.py (ST 6.2.0);
 * Schroff et al., "FaceNet", CVPR 2015; Reimers & Gurevych, "Sentence-BERT", EMNLP 2019.
 *
 * @example
 * ```ts
 * const value = new TripletLoss({ distanceMetric: 'cosine', tripletMargin: 0.3 }).computeLossFromEmbeddings([a, p, n]);
 * ```
 */
export class TripletLoss extends BaseLoss {
  readonly name = 'TripletLoss';
  readonly textColumns = 3;
  readonly distanceMetric: TripletDistanceMetric;
  readonly tripletMargin: number;
  protected override readonly expects: InputSpec = { columns: '(anchor, positive, negative) triplets' };

  constructor(options: TripletLossOptions = {}) {
    super();
    this.distanceMetric = options.distanceMetric ?? 'euclidean';
    this.tripletMargin = options.tripletMargin ?? 5;
    if (!(this.distanceMetric in DISTANCES)) {
      throw new ConfigError(`TripletLoss: unknown distanceMetric '${String(this.distanceMetric)}'; valid: ${Object.keys(DISTANCES).join(', ')}`, { field: 'distanceMetric' });
    }
    if (!Number.isFinite(this.tripletMargin)) throw new ConfigError(`TripletLoss: tripletMargin must be a finite number, got ${this.tripletMargin}`, { field: 'tripletMargin' });
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], _labels?: tf.Tensor): tf.Scalar {
    this.check(embeddings);
    return tf.tidy(() => {
      const d = DISTANCES[this.distanceMetric];
      const [a, p, n] = embeddings as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      return tf.mean(tf.relu(tf.add(tf.sub(d(a, p), d(a, n)), this.tripletMargin)));
    });
  }

  override toConfig(): Record<string, unknown> {
    return { distance_metric: `TripletDistanceMetric.${this.distanceMetric.toUpperCase()}`, triplet_margin: this.tripletMargin };
  }
}
