/**
 * Chunk encoders: turn a chunk of texts into a (k, D) float32 block. The main-thread encoder
 * and the worker pool call the same `encodeFlat` on the same chunks, so their outputs are
 * identical byte for byte when they run on the same backend.
 */
import os from 'node:os';
import { SentenceTransformer, initBackend, type SimilarityFunction } from '@sbert/core';
import { encodeFlat, loadOptions, outputDimension, runningBackend, type EncodeSettings } from './encode-settings.js';
import { WorkerPool } from './worker-pool.js';

export interface ChunkEncoder {
  /** Output dimension (after truncateDim). */
  readonly dimension: number;
  /** The backend that runs (node-gpu, node, wasm, cpu). */
  readonly backend: string;
  /** Threads encoding in parallel (1 for the main-thread encoder). */
  readonly parallelism: number;
  /** The model's similarity function (config_sentence_transformers.json). */
  readonly similarityFnName: SimilarityFunction;
  encode(texts: readonly string[]): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Encodes on the main thread with one model. */
export class LocalEncoder implements ChunkEncoder {
  readonly parallelism = 1;
  private constructor(
    readonly model: SentenceTransformer,
    private readonly settings: EncodeSettings,
    readonly dimension: number,
    readonly backend: string,
    private readonly owned: boolean,
  ) {}

  /** Loads the model (or uses a loaded one, which the caller keeps owning). */
  static async open(settings: EncodeSettings, model?: SentenceTransformer): Promise<LocalEncoder> {
    const m = model ?? (await SentenceTransformer.load(settings.modelDir, loadOptions(settings)));
    return new LocalEncoder(m, settings, outputDimension(m, settings), runningBackend(m), model === undefined);
  }

  get similarityFnName(): SimilarityFunction {
    return this.model.similarityFnName;
  }

  encode(texts: readonly string[]): Promise<Float32Array> {
    return encodeFlat(this.model, texts, this.settings, this.dimension);
  }

  async close(): Promise<void> {
    if (this.owned) this.model.dispose();
  }
}

/**
 * `workers`: a number, or 'auto' = one per CPU when the input spans more than two chunks and the
 * backend is single-threaded (wasm, cpu); the native tfjs-node backends and onnxruntime use all
 * cores already.
 */
export async function resolveWorkers(option: number | 'auto', records: number, chunkSize: number, settings: EncodeSettings): Promise<number> {
  if (option !== 'auto') return option;
  if (settings.backend === 'onnx') return 1;
  const info = await initBackend({ backend: settings.backend });
  if (info.choice === 'node' || info.choice === 'node-gpu') return 1;
  if (records <= 2 * chunkSize) return 1;
  return Math.max(1, Math.min(os.availableParallelism(), Math.ceil(records / chunkSize)));
}

/** A main-thread encoder for 1 worker, a pool of worker_threads otherwise. */
export async function openEncoder(settings: EncodeSettings, workers: number): Promise<ChunkEncoder> {
  if (workers <= 1) return LocalEncoder.open(settings);
  if (settings.backend === 'onnx') return WorkerPool.open(settings, workers);
  // Workers run the backend the main thread resolved, so 'auto' cannot pick differently per thread.
  const info = await initBackend({ backend: settings.backend });
  return WorkerPool.open({ ...settings, backend: info.choice }, workers);
}

/**
 * Encodes chunks in input order with up to `window` chunks in flight, yielding each chunk with
 * its embeddings as soon as it and every earlier chunk are done. Memory stays bounded by the
 * window whatever the input size.
 */
export async function* encodeInOrder<T>(
  chunks: AsyncIterable<T[]>,
  textsOf: (chunk: T[]) => string[],
  encoder: ChunkEncoder,
  window = Math.max(1, encoder.parallelism * 2),
): AsyncGenerator<{ chunk: T[]; embeddings: Float32Array }> {
  const inFlight: { chunk: T[]; result: Promise<Float32Array> }[] = [];
  const start = (chunk: T[]): void => {
    const result = encoder.encode(textsOf(chunk));
    // Awaited in order below; this only keeps a later failure from counting as unhandled meanwhile.
    result.catch(() => undefined);
    inFlight.push({ chunk, result });
  };
  for await (const chunk of chunks) {
    start(chunk);
    if (inFlight.length >= window) {
      const head = inFlight.shift()!;
      yield { chunk: head.chunk, embeddings: await head.result };
    }
  }
  while (inFlight.length > 0) {
    const head = inFlight.shift()!;
    yield { chunk: head.chunk, embeddings: await head.result };
  }
}

/**
 * Embeds texts held in memory, chunk by chunk in input order (so the pool and the main thread
 * give the same rows). Returns one view per text into a single (N, D) buffer.
 */
export async function embedTexts(texts: readonly string[], encoder: ChunkEncoder, chunkSize: number, onChunk?: (n: number) => void): Promise<Float32Array[]> {
  const dim = encoder.dimension;
  const flat = new Float32Array(texts.length * dim);
  async function* chunks(): AsyncGenerator<number[]> {
    for (let i = 0; i < texts.length; i += chunkSize) yield Array.from({ length: Math.min(chunkSize, texts.length - i) }, (_, k) => i + k);
  }
  for await (const { chunk, embeddings } of encodeInOrder(chunks(), (c) => c.map((i) => texts[i]!), encoder)) {
    flat.set(embeddings, chunk[0]! * dim);
    onChunk?.(chunk.length);
  }
  return texts.map((_, i) => flat.subarray(i * dim, (i + 1) * dim));
}
