import { tf } from '@sbert/core';
import { BaseLoss, rowLabels, type InputSpec } from './loss.js';
import { mse } from './internal/ops.js';
import { torchCosineSimilarity } from './internal/similarity.js';

/**
 * Cosine-similarity regression: the cosine of each pair is pulled towards its gold score.
 *
 * Formula: `loss = mean_i (cos(a_i, b_i) − y_i)²`, with `cos` = `torch.cosine_similarity`
 * (norms clamped at 1e-8, so a zero vector has cosine 0).
 *
 * Inputs: 2 text columns `(sentence_A, sentence_B)`; labels: one float per pair in the range
 * of the cosine, shape `(B,)`. STS-style 0–5 scores must be rescaled to 0–1 by the data
 * pipeline.
 *
 * Relations: {@link CoSENTLoss} and {@link AnglELoss} use the same data and usually train
 * better (sentence-transformers recommends them as drop-in replacements).
 *
 * Reference: sentence_transformers/sentence_transformer/losses/cosine_similarity.py
 * (ST 6.2.0, defaults `loss_fct=MSELoss()`, `cos_score_transformation=Identity()`);
 * Reimers & Gurevych, "Sentence-BERT", EMNLP 2019.
 *
 * @example
 * ```ts
 * const value = new CosineSimilarityLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([0.9, 0.1]));
 * ```
 */
export class CosineSimilarityLoss extends BaseLoss {
  readonly name = 'CosineSimilarityLoss';
  readonly textColumns = 2;
  protected override readonly expects: InputSpec = {
    columns: '(sentence_A, sentence_B) pairs',
    labels: 'one float similarity score per pair (usually 0..1), shape [B]',
  };

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize } = this.check(embeddings, labels);
    return tf.tidy(() => {
      const y = rowLabels(this, this.expects, labels, batchSize);
      return mse(torchCosineSimilarity(embeddings[0]!, embeddings[1]!), y);
    });
  }

  override toConfig(): Record<string, unknown> {
    return { loss_fct: 'torch.nn.modules.loss.MSELoss', cos_score_transformation: 'torch.nn.modules.linear.Identity' };
  }
}
