import { MultipleNegativesRankingLoss } from './multiple-negatives-ranking-loss.js';
import type { MatrixSimilarityName } from './internal/similarity.js';

/** Options of {@link MultipleNegativesSymmetricRankingLoss}; defaults are sentence-transformers'. */
export interface MultipleNegativesSymmetricRankingLossOptions {
  /** Inverse temperature. Default 20. */
  scale?: number;
  /** Similarity matrix function. Default `'cos_sim'`. */
  similarityFct?: MatrixSimilarityName;
}

/**
 * Symmetric in-batch-negatives loss: besides ranking each anchor's positive above the other
 * candidates (query → doc), it ranks each positive's anchor above the other anchors
 * (doc → query).
 *
 * Formula, with `S = scale · cos_sim(A, [P; N_1; …])` and `T = scale · cos_sim(A, P)ᵀ`:
 *
 *     loss = mean_i [ (logsumexp_j S_ij + logsumexp_j T_ij) / 2 − S_ii ]
 *          = (CE(S, i) + CE(T, i)) / 2
 *
 * Hard negatives only enter the query → doc direction.
 *
 * Inputs: 2 or more text columns `(anchor, positive, negative_1, …)`; no labels.
 *
 * Relations: exactly {@link MultipleNegativesRankingLoss} with
 * `directions: ['query_to_doc', 'doc_to_query']` and `partitionMode: 'per_direction'`,
 * which is how ST 6.2 implements it (and why it is deprecated there in favour of those
 * options).
 *
 * Reference: sentence_transformers/sentence_transformer/losses/multiple_negatives_symmetric_ranking.py
 * (ST 6.2.0); Yang et al., "Improving Multilingual Sentence Embedding using Bi-directional
 * Dual Encoder with Additive Margin Softmax", IJCAI 2019.
 *
 * @example
 * ```ts
 * const value = new MultipleNegativesSymmetricRankingLoss().computeLossFromEmbeddings([anchors, positives]);
 * ```
 */
export class MultipleNegativesSymmetricRankingLoss extends MultipleNegativesRankingLoss {
  override readonly name: string = 'MultipleNegativesSymmetricRankingLoss';

  constructor(options: MultipleNegativesSymmetricRankingLossOptions = {}) {
    super({ ...options, directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction' });
  }

  override toConfig(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarityFct, gather_across_devices: false };
  }
}
