import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, type InputSpec } from './loss.js';
import { logSumExp } from './internal/ops.js';
import { PAIRWISE_SIMILARITIES, type PairwiseSimilarityName } from './internal/similarity.js';

/** Options of {@link CoSENTLoss}; defaults are sentence-transformers'. */
export interface CoSENTLossOptions {
  /** Inverse temperature λ applied to the similarities. Default 20. */
  scale?: number;
  /** Pairwise similarity. Default `'pairwise_cos_sim'`. */
  similarityFct?: PairwiseSimilarityName;
}

/**
 * CoSENT (Consistent SENTence embedding) loss: a ranking loss over all pairs of pairs in the
 * batch. The similarity of a pair with a higher label should be larger than that of a pair
 * with a lower label.
 *
 * Formula, with `s_i = scale · sim(a_i, b_i)` and labels `y`:
 *
 *     loss = log(1 + Σ_{(i, j): y_i < y_j} exp(s_i − s_j))
 *
 * Only strictly ordered pairs count (ties contribute nothing); the result is one scalar per
 * batch, not averaged, and is exactly 0 (with zero gradient) when no pair is ordered (B = 1,
 * all labels equal). Computed as a masked logsumexp that includes the 0 term, so it is finite
 * for identical, opposite and zero vectors.
 *
 * Inputs: 2 text columns `(sentence_A, sentence_B)`; labels: one float score per pair, shape
 * `(B,)` (any range; binary labels work too).
 *
 * Relations: {@link AnglELoss} is CoSENT with `pairwise_angle_sim`;
 * {@link CosineSimilarityLoss} regresses the cosine onto the label instead and is usually a
 * weaker signal. sentence-transformers recommends CoSENT as its drop-in replacement.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/cosent.py (ST 6.2.0);
 * Huang et al., "CoSENT: Consistent Sentence Embedding via Similarity Ranking", IEEE/ACM
 * TASLP 2024; Su, https://kexue.fm/archives/8847.
 *
 * @example
 * ```ts
 * const loss = new CoSENTLoss();                       // scale 20, cosine
 * const value = loss.computeLossFromEmbeddings([a, b], tf.tensor1d([1, 0, 0.5]));  // a, b: (3, D)
 * ```
 */
export class CoSENTLoss extends BaseLoss {
  readonly name = 'CoSENTLoss';
  readonly textColumns = 2;
  readonly scale: number;
  readonly similarityFct: PairwiseSimilarityName;
  protected override readonly expects: InputSpec = {
    columns: '(sentence_A, sentence_B) pairs',
    labels: 'one float similarity score per pair, shape [B]',
  };

  constructor(options: CoSENTLossOptions = {}) {
    super();
    this.scale = options.scale ?? 20.0;
    this.similarityFct = options.similarityFct ?? 'pairwise_cos_sim';
    if (!Number.isFinite(this.scale)) throw new ConfigError(`CoSENTLoss: scale must be a finite number, got ${this.scale}`, { field: 'scale' });
    if (!(this.similarityFct in PAIRWISE_SIMILARITIES)) {
      throw new ConfigError(
        `CoSENTLoss: unknown similarityFct '${String(this.similarityFct)}'; valid: ${Object.keys(PAIRWISE_SIMILARITIES).join(', ')}`,
        { field: 'similarityFct' },
      );
    }
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize } = this.check(embeddings, labels);
    return tf.tidy(() => cosentFromPairs(this.scale, this.similarityFct, embeddings[0]!, embeddings[1]!, labels!, batchSize));
  }

  override toConfig(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarityFct };
  }
}

/** The CoSENT maths on one (a, b) column pair; shared with AnglELoss. Call inside tf.tidy. */
export function cosentFromPairs(
  scale: number,
  similarityFct: PairwiseSimilarityName,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  labels: tf.Tensor,
  batchSize: number,
): tf.Scalar {
  const y = tf.cast(tf.reshape(labels, [batchSize]), 'float32');
  const s = tf.mul(PAIRWISE_SIMILARITIES[similarityFct](a, b), scale); // (B,)
  // diff[i][j] = s_i − s_j, kept only where y_i < y_j (strict: ties are excluded).
  const diff = tf.sub(tf.expandDims(s, 1), tf.expandDims(s, 0)); // (B, B)
  const ordered = tf.less(tf.expandDims(y, 1), tf.expandDims(y, 0)); // (B, B)
  const masked = tf.where(ordered, diff, tf.fill([batchSize, batchSize], -Infinity));
  // The leading 0 is the "1 +" inside the log; it also keeps the logsumexp finite.
  const terms = tf.concat([tf.zeros([1]), tf.reshape(masked, [-1])]);
  return logSumExp(terms, 0) as tf.Scalar;
}
