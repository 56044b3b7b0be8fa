import { SentenceTransformer, tf, type ForwardOptions, type NamedWeight } from '@sbert/core';
import type { Loss } from '@sbert/losses';

/** One batch of one objective: the texts of each column (B each) and the labels. */
export interface TextBatch {
  columns: string[][];
  labels?: tf.Tensor;
}

export interface GradientOptions {
  /** Dropout on (training mode). */
  training: boolean;
  /** Base seed for dropout; chunk k of column c uses a seed derived from it. */
  seed: number;
  /**
   * Gradient caching: embed at most this many rows with gradients at a time. Undefined or
   * >= the batch size: the plain path (everything in one graph).
   */
  miniBatchSize?: number;
}

export interface BatchGradients {
  loss: number;
  /** Gradients by weight name (model and loss weights); the caller disposes them. */
  grads: Map<string, tf.Tensor>;
}

/** The dropout seed of chunk `chunk` of column `column`, the same in both passes. */
export const chunkSeed = (seed: number, column: number, chunk: number): number => seed * 7919 + column * 104729 + chunk;

function byName(weights: NamedWeight[], grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const w of weights) {
    const g = grads[w.variable.name];
    if (g) out.set(w.name, g);
  }
  return out;
}

/**
 * Every column's embeddings from one encoder pass over all their texts (columns after each
 * other), split back into (B, D) per column. The encoder skips padding, so this gives each
 * column's embeddings as separate passes would, while every weight is used once: one matMul,
 * one transposed weight and one gradient per weight instead of one per column (~5 % of a MiniLM
 * training step on wasm). Dropout masks come from `dropoutSeed` for the whole pass.
 */
export function embedColumns(model: SentenceTransformer, columns: readonly string[][], options: ForwardOptions): tf.Tensor2D[] {
  if (columns.length === 1) return [model.embed(columns[0]!, options)];
  return tf.tidy(() => {
    const all = model.embed(columns.flat(), options);
    let at = 0;
    return columns.map((texts) => {
      const part = all.slice([at, 0], [texts.length, -1]);
      at += texts.length;
      return part;
    });
  });
}

/** Adds `part` into `total` by key, freeing what it replaces. */
export function addInto(total: Map<string, tf.Tensor>, part: Map<string, tf.Tensor>): void {
  for (const [name, g] of part) {
    const prev = total.get(name);
    if (prev) {
      total.set(name, prev.add(g));
      prev.dispose();
      g.dispose();
    } else total.set(name, g);
  }
}

/**
 * Loss and gradients of one batch with respect to every trainable weight of the model and of
 * the loss.
 *
 * Plain path: one graph, one encoder pass over every column of the batch (embedColumns).
 *
 * Gradient caching (Gao et al. 2021, ST's Cached* losses, generalised to every loss): embed
 * each column in mini-batches without a graph, take the loss and its gradient with respect to
 * the embeddings, then replay each mini-batch with a graph (same dropout seeds, so the same
 * masks) and back-propagate `Σ emb · dL/demb`. Peak memory is that of one mini-batch, whatever
 * the batch size, and the gradients are the plain path's.
 */
export function batchGradients(model: SentenceTransformer, loss: Loss, batch: TextBatch, options: GradientOptions): BatchGradients {
  const modelWeights = model.trainableWeights();
  const lossWeights = loss.trainableWeights();
  const B = batch.columns[0]?.length ?? 0;
  const mini = options.miniBatchSize;
  const forward = { training: options.training };

  if (mini === undefined || mini >= B) {
    const all = [...modelWeights, ...lossWeights];
    const { value, grads } = tf.variableGrads(() => {
      const embeddings = embedColumns(model, batch.columns, { ...forward, dropoutSeed: chunkSeed(options.seed, 0, 0) });
      return loss.computeLossFromEmbeddings(embeddings, batch.labels);
    }, all.map((w) => w.variable));
    const lossValue = value.dataSync()[0]!;
    value.dispose();
    return { loss: lossValue, grads: byName(all, grads) };
  }

  // 1. Embeddings without gradients, chunk by chunk.
  const chunks = (texts: string[]): string[][] => Array.from({ length: Math.ceil(texts.length / mini) }, (_, k) => texts.slice(k * mini, (k + 1) * mini));
  const embeddings = batch.columns.map((texts, c) =>
    tf.tidy(() => tf.concat(chunks(texts).map((chunk, k) => model.embed(chunk, { ...forward, dropoutSeed: chunkSeed(options.seed, c, k) })), 0) as tf.Tensor2D),
  );
  // 2. The loss, its gradient with respect to the embeddings, and the loss's own weights.
  const f = (...e: tf.Tensor[]): tf.Scalar => loss.computeLossFromEmbeddings(e as tf.Tensor2D[], batch.labels);
  const { value, grads: embeddingGrads } = tf.valueAndGrads(f)(embeddings);
  const total = new Map<string, tf.Tensor>();
  if (lossWeights.length > 0) {
    const { value: v, grads } = tf.variableGrads(() => f(...embeddings), lossWeights.map((w) => w.variable));
    v.dispose();
    addInto(total, byName(lossWeights, grads));
  }
  tf.dispose(embeddings);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  // 3. Replay each chunk with a graph and back-propagate the cached embedding gradients.
  batch.columns.forEach((texts, c) => {
    chunks(texts).forEach((chunk, k) => {
      const upstream = tf.tidy(() => embeddingGrads[c]!.slice([k * mini, 0], [chunk.length, -1]));
      const { value: v, grads } = tf.variableGrads(() => {
        const e = model.embed(chunk, { ...forward, dropoutSeed: chunkSeed(options.seed, c, k) });
        return tf.sum(e.mul(upstream)) as tf.Scalar;
      }, modelWeights.map((w) => w.variable));
      v.dispose();
      upstream.dispose();
      addInto(total, byName(modelWeights, grads));
    });
  });
  tf.dispose(embeddingGrads);
  return { loss: lossValue, grads: total };
}
