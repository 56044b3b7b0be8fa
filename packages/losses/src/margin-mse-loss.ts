import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, checkEmbeddings, labelError, type InputSpec } from './loss.js';
import { mse } from './internal/ops.js';
import { PAIRWISE_SIMILARITIES, type PairwiseSimilarityName } from './internal/similarity.js';

/** Options of {@link MarginMSELoss}; defaults are sentence-transformers'. */
export interface MarginMSELossOptions {
  /** Pairwise similarity. Default `'pairwise_dot_score'`. */
  similarityFct?: PairwiseSimilarityName;
}

/**
 * MarginMSE: knowledge distillation of a teacher's score *margins* (typically a
 * cross-encoder) into the bi-encoder.
 *
 * Formula, for query q, positive p and negatives n_1..n_k:
 *
 *     pred_ij = sim(q_i, p_i) − sim(q_i, n_ij)        (B, k)
 *     loss = mean_ij (pred_ij − margin_ij)²
 *
 * Labels may be given as margins `gold(q, p) − gold(q, n_j)`, shape `(B,)` (one negative) or
 * `(B, k)`, or as the teacher's raw scores `[gold(q, p), gold(q, n_1), …]`, shape `(B, k+1)`,
 * which are converted to margins. Labels carry no gradient.
 *
 * Inputs: 3 or more text columns `(query, positive, negative_1, …, negative_k)`.
 *
 * Relations: DistillKLDivLoss (not here) distils the score distribution instead;
 * {@link MultipleNegativesRankingLoss} needs no teacher. With the default dot product, the
 * embeddings are not normalised (unless {@link MatryoshkaLoss} wraps it, which normalises).
 *
 * Reference: sentence_transformers/sentence_transformer/losses/margin_mse.py (ST 6.2.0);
 * Hofstätter et al., "Improving Efficient Neural Ranking Models with Cross-Architecture
 * Knowledge Distillation", arXiv:2010.02666.
 *
 * @example
 * ```ts
 * // MS MARCO style: teacher scores [pos, neg] per query
 * const value = new MarginMSELoss().computeLossFromEmbeddings([q, p, n], tf.tensor2d([[9.1, 1.3], [7.7, 6.0]]));
 * ```
 */
export class MarginMSELoss extends BaseLoss {
  readonly name = 'MarginMSELoss';
  readonly textColumns = { min: 3 };
  readonly similarityFct: PairwiseSimilarityName;
  protected override readonly expects: InputSpec = {
    columns: '(query, positive, negative_1, ..., negative_k)',
    labels: 'teacher margins of shape [B] (k = 1) or [B, k], or teacher scores [pos, neg_1, ..., neg_k] of shape [B, k+1]',
  };

  constructor(options: MarginMSELossOptions = {}) {
    super();
    this.similarityFct = options.similarityFct ?? 'pairwise_dot_score';
    if (!(this.similarityFct in PAIRWISE_SIMILARITIES)) {
      throw new ConfigError(
        `MarginMSELoss: unknown similarityFct '${String(this.similarityFct)}'; valid: ${Object.keys(PAIRWISE_SIMILARITIES).join(', ')}`,
        { field: 'similarityFct' },
      );
    }
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize: B } = checkEmbeddings(this, this.expects, embeddings);
    const k = embeddings.length - 2;
    if (labels === undefined || labels === null) throw labelError(this, this.expects, 'no labels');
    if (!(labels instanceof tf.Tensor)) throw labelError(this, this.expects, `labels of type ${typeof labels}`);
    const shape = labels.shape.join(',');
    const form = shape === `${B},${k + 1}` ? 'scores' : shape === `${B}` ? 'column' : shape === `${B},${k}` ? 'margins' : null;
    if (form === null || (form === 'column' && k !== 1)) {
      throw labelError(this, this.expects, `labels of shape [${labels.shape.join(', ')}] for a batch of ${B} with ${k} negative column${k === 1 ? '' : 's'}`);
    }
    return tf.tidy(() => {
      const sim = PAIRWISE_SIMILARITIES[this.similarityFct];
      const y = tf.cast(labels, 'float32');
      // Teacher scores [pos, neg...] become margins pos − neg_j; a (B,) column becomes (B, 1).
      const margins =
        form === 'scores' ? tf.sub(tf.slice(y, [0, 0], [B, 1]), tf.slice(y, [0, 1], [B, k])) : form === 'column' ? tf.reshape(y, [B, 1]) : y;
      const q = embeddings[0]!;
      const pos = sim(q, embeddings[1]!); // (B,)
      const pred = tf.stack(embeddings.slice(2).map((n) => tf.sub(pos, sim(q, n))), 1); // (B, k)
      return mse(pred, margins);
    });
  }

  override toConfig(): Record<string, unknown> {
    return { similarity_fct: this.similarityFct };
  }
}
