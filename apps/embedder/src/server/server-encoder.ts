/**
 * What the server embeds with: the model on the main thread, or a pool of worker threads that
 * keeps inference off the event loop (the main thread then only parses, validates, batches and
 * answers). Both give the same rows for the same batch on the same backend.
 */
import type { SentenceTransformer, SimilarityFunction } from '@sbert/core';
import { runningBackend, type EncodeSettings } from '../encoding/encode-settings.js';
import { WorkerPool } from '../encoding/worker-pool.js';

/** One text's embedding and its token count (after truncation, special tokens included). */
export interface EncodedText {
  embedding: Float32Array;
  tokens: number;
}

export interface ServerEncoder {
  readonly dimension: number;
  readonly maxSeqLength: number;
  readonly similarityFnName: SimilarityFunction;
  readonly backend: string;
  /** Micro-batches that can run at the same time (the number of workers; 1 in-process). */
  readonly concurrency: number;
  /** Worker threads running the model (0: the main thread runs it). */
  readonly workers: number;
  encode(texts: readonly string[]): Promise<EncodedText[]>;
  close(): Promise<void>;
}

/**
 * model.encode(texts, { batchSize }) with a turn of the event loop between forward passes.
 * Inference is synchronous and the backend's data() resolves as a microtask, so one encode call
 * would hold the event loop for the whole micro-batch: no new requests would be read (to join
 * the next batch) and /health would stall. Sorting by length first, as encode does, and
 * encoding each slice of `batchSize` texts in turn gives the same batches and the same rows.
 */
export async function encodeYielding(model: SentenceTransformer, texts: readonly string[], batchSize: number): Promise<Float32Array[]> {
  const lengths = texts.map((t) => [...t].length);
  const order = texts.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]!);
  const out: Float32Array[] = new Array(texts.length);
  for (let start = 0; start < order.length; start += batchSize) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    const idx = order.slice(start, start + batchSize);
    const rows = await model.encode(idx.map((i) => texts[i]!), { batchSize });
    idx.forEach((i, k) => (out[i] = rows[k]!));
  }
  return out;
}

/** Runs the model on the main thread (the caller keeps owning it). */
export function inProcessEncoder(model: SentenceTransformer, batchSize = 32): ServerEncoder {
  return {
    dimension: model.getSentenceEmbeddingDimension(),
    maxSeqLength: model.maxSeqLength,
    similarityFnName: model.similarityFnName,
    backend: runningBackend(model),
    concurrency: 1,
    workers: 0,
    async encode(texts) {
      const rows = await encodeYielding(model, texts, batchSize);
      return rows.map((embedding, i) => ({ embedding, tokens: model.tokenizer.countTokens(texts[i]!) }));
    },
    async close() {},
  };
}

/** Runs `workers` worker threads, each with its own model (closed with the encoder). */
export async function workerEncoder(settings: Omit<EncodeSettings, 'normalize' | 'truncateDim' | 'prompt' | 'promptName'>, workers: number): Promise<ServerEncoder> {
  // Raw model output: the server truncates and normalises per request itself.
  const pool = await WorkerPool.open({ ...settings, normalize: false }, workers);
  const dim = pool.dimension;
  return {
    dimension: dim,
    maxSeqLength: pool.maxSeqLength,
    similarityFnName: pool.similarityFnName,
    backend: pool.backend,
    concurrency: workers,
    workers,
    async encode(texts) {
      const { data, tokens } = await pool.encodeWithTokens(texts);
      return tokens.map((t, i) => ({ embedding: data.subarray(i * dim, (i + 1) * dim), tokens: t }));
    },
    close: () => pool.close(),
  };
}
