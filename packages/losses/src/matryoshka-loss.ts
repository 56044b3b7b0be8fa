import { ConfigError, tf } from '@sbert/core';
import { checkEmbeddings, type Loss, type NamedWeight, type TextColumns } from './loss.js';
import { LossInputError } from './loss-input-error.js';
import { normalize } from './internal/similarity.js';

/** Options of {@link MatryoshkaLoss}; defaults are sentence-transformers'. */
export interface MatryoshkaLossOptions {
  /** Embedding widths to train, e.g. `[768, 512, 256, 128, 64]`. Required, each > 0. */
  matryoshkaDims: readonly number[];
  /** One weight per dim. Default: all 1. */
  matryoshkaWeights?: readonly number[];
  /** Train a random subset of this many dims per step; -1 (default) trains all of them. */
  nDimsPerStep?: number;
  /** Random source in [0, 1) for `nDimsPerStep` sampling. Default `Math.random`. */
  random?: () => number;
}

/**
 * Matryoshka modifier: trains embeddings whose prefixes are good embeddings too, so that they
 * can be truncated at inference time (`truncate_dim`).
 *
 * Formula: `loss = Σ_k w_k · inner(normalize(E[:, :dim_k]), labels)`, each column's embeddings
 * truncated to the first `dim_k` components and then L2-normalised (`F.normalize`, eps 1e-12,
 * which ST 6.2's `shrink` applies to every dim, the full one included). Dims are sorted in
 * descending order (weights follow). Labels shaped like embeddings (rank 2 or 3 with the
 * embedding width last, i.e. distillation targets) are truncated too.
 *
 * Inputs: whatever the inner loss takes.
 *
 * Relations: wraps any {@link Loss}, e.g. {@link CoSENTLoss} or
 * {@link MultipleNegativesRankingLoss}; its trainable weights are the inner loss's.
 * Matryoshka2dLoss / AdaptiveLayerLoss (not here) also vary the layer count.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/matryoshka.py (ST 6.2.0);
 * Kusupati et al., "Matryoshka Representation Learning", NeurIPS 2022.
 *
 * @example
 * ```ts
 * const loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { matryoshkaDims: [768, 256, 64] });
 * const value = loss.computeLossFromEmbeddings([anchors, positives]);
 * ```
 */
export class MatryoshkaLoss implements Loss {
  readonly name = 'MatryoshkaLoss';
  readonly inner: Loss;
  /** Sorted in descending order. */
  readonly matryoshkaDims: readonly number[];
  /** Aligned with {@link MatryoshkaLoss.matryoshkaDims}. */
  readonly matryoshkaWeights: readonly number[];
  readonly nDimsPerStep: number;
  private readonly random: () => number;

  constructor(inner: Loss, options: MatryoshkaLossOptions) {
    const dims = options?.matryoshkaDims;
    if (!Array.isArray(dims) || dims.length === 0) {
      throw new ConfigError('MatryoshkaLoss: matryoshkaDims must list at least one dimension', { field: 'matryoshkaDims' });
    }
    if (dims.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ConfigError(`MatryoshkaLoss: every matryoshkaDims entry must be a positive integer, got ${JSON.stringify(dims)}`, { field: 'matryoshkaDims' });
    }
    const weights = options.matryoshkaWeights ?? dims.map(() => 1);
    if (weights.length !== dims.length || weights.some((w) => !Number.isFinite(w))) {
      throw new ConfigError(
        `MatryoshkaLoss: matryoshkaWeights must hold ${dims.length} finite numbers (one per dim), got ${JSON.stringify(weights)}`,
        { field: 'matryoshkaWeights' },
      );
    }
    this.inner = inner;
    // Sort dims (and their weights) in descending order, as ST does.
    const pairs = dims.map((d, i) => [d, weights[i]!] as const).sort((x, y) => y[0] - x[0]);
    this.matryoshkaDims = pairs.map((p) => p[0]);
    this.matryoshkaWeights = pairs.map((p) => p[1]);
    this.nDimsPerStep = options.nDimsPerStep ?? -1;
    this.random = options.random ?? Math.random;
  }

  get textColumns(): TextColumns {
    return this.inner.textColumns;
  }

  /** The dim indices used for one step (all, or a sorted random subset of `nDimsPerStep`). */
  private stepIndices(): number[] {
    const all = this.matryoshkaDims.map((_, i) => i);
    if (this.nDimsPerStep <= 0 || this.nDimsPerStep >= all.length) return all;
    // Partial Fisher–Yates: sample without replacement, then keep ST's sorted order.
    for (let i = 0; i < this.nDimsPerStep; i++) {
      const j = i + Math.floor(this.random() * (all.length - i));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, this.nDimsPerStep).sort((a, b) => a - b);
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const spec = { columns: `the columns of the wrapped ${this.inner.name}` };
    const { batchSize, dim: fullDim } = checkEmbeddings(this, spec, embeddings);
    const tooWide = this.matryoshkaDims.filter((d) => d > fullDim);
    if (tooWide.length > 0) {
      throw new LossInputError(
        this.name,
        'embeddings',
        `MatryoshkaLoss expects embeddings at least as wide as every matryoshkaDims entry (${this.matryoshkaDims.join(', ')}); got width ${fullDim}.`,
      );
    }
    const indices = this.stepIndices();
    return tf.tidy(() => {
      let total: tf.Scalar = tf.scalar(0);
      for (const idx of indices) {
        const dim = this.matryoshkaDims[idx]!;
        const weight = this.matryoshkaWeights[idx]!;
        const shrunk = embeddings.map((e) => normalize(tf.slice(e, [0, 0], [batchSize, dim]) as tf.Tensor2D));
        // Labels that look like per-column embeddings (distillation targets) are truncated too.
        const dimLabels =
          labels instanceof tf.Tensor && (labels.rank === 2 || labels.rank === 3) && labels.shape[labels.rank - 1] === fullDim
            ? tf.slice(labels, new Array(labels.rank).fill(0), [...labels.shape.slice(0, -1), dim])
            : labels;
        total = tf.add(total, tf.mul(this.inner.computeLossFromEmbeddings(shrunk, dimLabels), weight));
      }
      return total;
    });
  }

  trainableWeights(): NamedWeight[] {
    return this.inner.trainableWeights();
  }

  toConfig(): Record<string, unknown> {
    return {
      loss: this.inner.name,
      matryoshka_dims: [...this.matryoshkaDims],
      matryoshka_weights: [...this.matryoshkaWeights],
      n_dims_per_step: this.nDimsPerStep,
    };
  }

  /** Disposes the wrapped loss. */
  dispose(): void {
    this.inner.dispose();
  }
}
