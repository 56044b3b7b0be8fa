import { ConfigError, tf } from '@sbert/core';
import { BaseLoss, type InputSpec } from './loss.js';
import { logSumExp, stopGradient } from './internal/ops.js';
import { MATRIX_SIMILARITIES, type MatrixSimilarityName } from './internal/similarity.js';

/** Which similarity matrices enter the softmax (ST's `directions`). */
export type RankingDirection = 'query_to_doc' | 'query_to_query' | 'doc_to_query' | 'doc_to_doc';
/** Hardness weighting of negatives (ST's `hardness_mode`). */
export type HardnessMode = 'in_batch_negatives' | 'hard_negatives' | 'all_negatives';

/** Options of {@link MultipleNegativesRankingLoss}; defaults are sentence-transformers'. */
export interface MultipleNegativesRankingLossOptions {
  /** Inverse temperature applied to the similarities. Default 20; must be > 0. */
  scale?: number;
  /** Similarity matrix function. Default `'cos_sim'`. */
  similarityFct?: MatrixSimilarityName;
  /** Similarity directions in the softmax; must include `'query_to_doc'`. Default `['query_to_doc']`. */
  directions?: readonly RankingDirection[];
  /** One softmax over all directions (`'joint'`) or one per direction, averaged. Default `'joint'`. */
  partitionMode?: 'joint' | 'per_direction';
  /** Which negatives get the hardness penalty `strength · sim` added to their logits. Default none. */
  hardnessMode?: HardnessMode | null;
  /** α of the hardness penalty; 0 disables it. Default 0. */
  hardnessStrength?: number;
}

const ALL_DIRECTIONS: readonly RankingDirection[] = ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'];
const HARDNESS_MODES: readonly HardnessMode[] = ['in_batch_negatives', 'hard_negatives', 'all_negatives'];

/**
 * MultipleNegativesRankingLoss (InfoNCE with in-batch negatives): for each anchor, its own
 * positive must score higher than every other candidate in the batch: the other rows'
 * positives and all hard negatives.
 *
 * Formula (default options), with anchors `A (B, D)` and candidates
 * `C = [P; N_1; …; N_k]` (`(B(1+k), D)`, stacked by column):
 *
 *     S = scale · cos_sim(A, C)                    (B, B(1+k))
 *     loss = mean_i [ logsumexp_j S_ij − S_ii ]    (cross-entropy with target i)
 *
 * Options as in ST 6.2: `directions` adds more similarity blocks to the softmax
 * (`query_to_query` = `sim(A, A)` without the diagonal, `doc_to_query` = `sim(A, P)ᵀ`,
 * `doc_to_doc` = `sim(C, P)ᵀ` without each row's own documents); `partitionMode:
 * 'per_direction'` averages one log-partition per block instead of one joint softmax;
 * `hardnessMode`/`hardnessStrength` add `α · detach(cos)` to the chosen negatives' logits
 * (Lan et al. 2025). The cross-device gathering of ST is not applicable here.
 *
 * Inputs: 2 or more text columns `(anchor, positive, negative_1, …, negative_k)`; no labels
 * (ignored if given). Batches must not contain duplicates of a positive (ST's NO_DUPLICATES
 * batch sampler), or they act as false negatives.
 *
 * Relations: {@link MultipleNegativesSymmetricRankingLoss} also ranks anchors for each
 * positive; CachedMultipleNegativesRankingLoss (not here) is the same maths with GradCache;
 * {@link MatryoshkaLoss} can wrap it.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/multiple_negatives_ranking.py
 * (ST 6.2.0); Henderson et al., "Efficient Natural Language Response Suggestion for Smart
 * Reply", arXiv:1705.00652; van den Oord et al., "Representation Learning with Contrastive
 * Predictive Coding" (InfoNCE), arXiv:1807.03748.
 *
 * @example
 * ```ts
 * const loss = new MultipleNegativesRankingLoss();            // scale 20, cos_sim
 * const value = loss.computeLossFromEmbeddings([anchors, positives, hardNegatives]);
 * ```
 */
export class MultipleNegativesRankingLoss extends BaseLoss {
  readonly name: string = 'MultipleNegativesRankingLoss';
  readonly textColumns = { min: 2 };
  readonly scale: number;
  readonly similarityFct: MatrixSimilarityName;
  readonly directions: readonly RankingDirection[];
  readonly partitionMode: 'joint' | 'per_direction';
  readonly hardnessMode: HardnessMode | null;
  readonly hardnessStrength: number;
  protected override readonly expects: InputSpec = {
    columns: '(anchor, positive) pairs, optionally followed by hard-negative columns',
  };

  constructor(options: MultipleNegativesRankingLossOptions = {}) {
    super();
    this.scale = options.scale ?? 20.0;
    this.similarityFct = options.similarityFct ?? 'cos_sim';
    this.directions = [...(options.directions ?? ['query_to_doc'])];
    this.partitionMode = options.partitionMode ?? 'joint';
    this.hardnessMode = options.hardnessMode ?? null;
    this.hardnessStrength = options.hardnessStrength ?? 0.0;
    const cls = new.target.name;
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) throw new ConfigError(`${cls}: scale must be a positive number, got ${this.scale}`, { field: 'scale' });
    if (!(this.similarityFct in MATRIX_SIMILARITIES)) {
      throw new ConfigError(`${cls}: unknown similarityFct '${String(this.similarityFct)}'; valid: ${Object.keys(MATRIX_SIMILARITIES).join(', ')}`, { field: 'similarityFct' });
    }
    if (this.directions.length === 0 || this.directions.some((d) => !ALL_DIRECTIONS.includes(d))) {
      throw new ConfigError(`${cls}: directions must be a non-empty list of ${ALL_DIRECTIONS.join(', ')}; got ${JSON.stringify(this.directions)}`, { field: 'directions' });
    }
    if (!this.directions.includes('query_to_doc')) {
      throw new ConfigError(`${cls}: directions must include 'query_to_doc' (it holds the positive pair)`, { field: 'directions' });
    }
    if (this.partitionMode !== 'joint' && this.partitionMode !== 'per_direction') {
      throw new ConfigError(`${cls}: partitionMode must be 'joint' or 'per_direction', got '${String(this.partitionMode)}'`, { field: 'partitionMode' });
    }
    if (this.partitionMode === 'per_direction' && this.directions.some((d) => d === 'query_to_query' || d === 'doc_to_doc')) {
      throw new ConfigError(
        `${cls}: partitionMode 'per_direction' needs every direction to contain the positive pair; 'query_to_query' and 'doc_to_doc' do not (use 'joint')`,
        { field: 'partitionMode' },
      );
    }
    if (this.hardnessMode !== null && !HARDNESS_MODES.includes(this.hardnessMode)) {
      throw new ConfigError(`${cls}: hardnessMode must be one of ${HARDNESS_MODES.join(', ')} or null, got '${String(this.hardnessMode)}'`, { field: 'hardnessMode' });
    }
    if (!(this.hardnessStrength >= 0)) {
      throw new ConfigError(`${cls}: hardnessStrength must be non-negative, got ${this.hardnessStrength}`, { field: 'hardnessStrength' });
    }
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], _labels?: tf.Tensor): tf.Scalar {
    const { batchSize: B } = this.check(embeddings);
    return tf.tidy(() => {
      const sim = MATRIX_SIMILARITIES[this.similarityFct];
      const queries = embeddings[0]!; // (B, D)
      const docs = embeddings.slice(1); // k+1 columns of (B, D)
      const nDocCols = docs.length;
      const docsAll = tf.concat(docs, 0) as tf.Tensor2D; // (B(1+k), D)
      const docsPos = docs[0]!;
      const eye = tf.cast(tf.eye(B), 'bool') as tf.Tensor2D; // (B, B)
      const ownDocs = tf.tile(eye, [1, nDocCols]) as tf.Tensor2D; // (B, B(1+k)): row i's own documents
      const negInf = (shape: [number, number]) => tf.fill(shape, -Infinity) as tf.Tensor2D;

      const blocks = new Map<RankingDirection, tf.Tensor2D>();
      const queryToDoc = sim(queries, docsAll); // (B, B(1+k))
      blocks.set('query_to_doc', queryToDoc);
      if (this.directions.includes('query_to_query')) {
        // q_i against every other query; its own similarity is removed.
        blocks.set('query_to_query', tf.where(eye, negInf([B, B]), sim(queries, queries)));
      }
      if (this.directions.includes('doc_to_query')) {
        blocks.set('doc_to_query', tf.transpose(sim(queries, docsPos))); // row i: p_i against all queries
      }
      if (this.directions.includes('doc_to_doc')) {
        // p_i against all documents, except those of query i (its positive and hard negatives).
        blocks.set('doc_to_doc', tf.where(ownDocs, negInf([B, B * nDocCols]), tf.transpose(sim(docsAll, docsPos))));
      }

      // Hardness penalty on the raw similarities (not temperature-scaled), without gradient.
      let penalty: tf.Tensor | null = null;
      if (this.hardnessMode !== null && this.hardnessStrength > 0) {
        let keep: tf.Tensor; // where the penalty applies, (B, B(1+k))
        const inPositiveBlock = tf.concat([tf.ones([B, B], 'bool'), tf.zeros([B, B * (nDocCols - 1)], 'bool')], 1);
        if (this.hardnessMode === 'hard_negatives') keep = tf.logicalAnd(ownDocs, tf.logicalNot(inPositiveBlock));
        else if (this.hardnessMode === 'in_batch_negatives') keep = tf.logicalNot(ownDocs);
        else keep = tf.logicalNot(tf.logicalAnd(ownDocs, inPositiveBlock));
        penalty = tf.mul(tf.cast(keep, 'float32'), tf.mul(stopGradient(queryToDoc), this.hardnessStrength));
      }

      const scaled = new Map<RankingDirection, tf.Tensor2D>();
      for (const [key, m] of blocks) scaled.set(key, tf.mul(m, this.scale));
      if (penalty !== null) scaled.set('query_to_doc', tf.add(scaled.get('query_to_doc')!, penalty));

      // Positive logits S_ii from the query_to_doc block.
      const positives = tf.sum(tf.mul(tf.slice(scaled.get('query_to_doc')!, [0, 0], [B, B]), tf.cast(eye, 'float32')), 1); // (B,)
      const ordered = ALL_DIRECTIONS.filter((d) => scaled.has(d)).map((d) => scaled.get(d)!);
      const logZ =
        this.partitionMode === 'joint'
          ? logSumExp(tf.concat(ordered, 1), 1)
          : tf.div(tf.addN(ordered.map((m) => logSumExp(m, 1))), ordered.length);
      return tf.neg(tf.mean(tf.sub(positives, logZ))) as tf.Scalar;
    });
  }

  override toConfig(): Record<string, unknown> {
    return {
      scale: this.scale,
      similarity_fct: this.similarityFct,
      gather_across_devices: false,
      directions: [...this.directions],
      partition_mode: this.partitionMode,
      hardness_mode: this.hardnessMode,
      hardness_strength: this.hardnessStrength,
    };
  }
}
