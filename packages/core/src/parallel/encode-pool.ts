/**
 * Data-parallel encoding over worker threads: each worker has its own TF.js backend (on wasm,
 * one core each) and its own copy of the model, and encodes whole batches. The batches are the
 * ones `SentenceTransformer.encode` would make (longest texts first, `batchSize` per batch), so
 * every text is padded exactly as in the single-threaded path and the embeddings are the same.
 *
 * wasm runs one thread per backend in Node (tfjs disables its threaded build there), so this is
 * how `encode` uses every core without tfjs-node. See shared notes: 2 workers ≈ 1.9× one.
 */
import os from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../backend.js';
import { ConfigError, InputError, SbertError, deserializeError } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { quantizeEmbeddings, type QuantizedRow } from '../quantization.js';
import type { SimilarityFunction } from '../similarity.js';
import type { EncodeOptions } from '../sentence-transformer.js';
import type { PoolReply, PoolRequest, WorkerSettings } from './worker-messages.js';

export interface EncodePoolOptions {
  /** Worker threads. Default: the number of logical cores (os.availableParallelism()). */
  workers?: number;
  /** TF.js backend of every worker (default automatic, as `initBackend`). */
  backend?: BackendChoice;
  /** Overrides the saved max_seq_length. */
  maxSeqLength?: number;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  pending: Map<number, { resolve: (rows: Float32Array) => void; reject: (e: Error) => void }>;
}

/** The compiled worker script; under the test runner (TypeScript sources) the one in dist/. */
function workerScript(): URL {
  const sibling = new URL('./encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/parallel/encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new ConfigError(`the worker script ${fileURLToPath(sibling)} is missing; build @sbert/core first`);
}

/**
 * A pool of encode workers for one model directory.
 *
 * ```ts
 * const pool = await EncodePool.open('models/all-MiniLM-L6-v2', { workers: 2 });
 * const rows = await pool.encode(sentences, { batchSize: 32, normalize: true });
 * await pool.close();
 * ```
 */
export class EncodePool {
  private nextId = 0;
  private broken: Error | undefined;
  private closed = false;

  private constructor(
    private readonly slots: Slot[],
    /** Width of the embeddings the model produces. */
    readonly dimension: number,
    readonly similarityFnName: SimilarityFunction,
    readonly maxSeqLength: number,
    /** The backend the workers run. */
    readonly backend: string,
  ) {}

  get workers(): number {
    return this.slots.length;
  }

  /** Starts the workers and loads the model in each; rejects with the load error if any fails. */
  static async open(modelDir: string, options: EncodePoolOptions = {}): Promise<EncodePool> {
    const n = options.workers ?? os.availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new InputError(`workers must be a positive integer, got ${n}`);
    const settings: WorkerSettings = { modelDir, ...(options.backend ? { backend: options.backend } : {}), ...(options.maxSeqLength !== undefined ? { maxSeqLength: options.maxSeqLength } : {}) };
    const script = workerScript();
    const slots: Slot[] = [];
    const ready: Promise<Extract<PoolReply, { type: 'ready' }>>[] = [];
    const cleanups: (() => void)[] = [];
    for (let i = 0; i < n; i++) {
      const worker = new Worker(script, { workerData: settings });
      slots.push({ worker, inFlight: 0, pending: new Map() });
      ready.push(
        new Promise((resolve, reject) => {
          const onMessage = (m: PoolReply): void => {
            if (m.type === 'ready') resolve(m);
            else if (m.type === 'failed') reject(deserializeError(m.error));
          };
          const onExit = (code: number): void => reject(new SbertError('E_WORKER', `encode worker ${i} exited with code ${code} while starting`));
          worker.on('message', onMessage);
          worker.on('error', reject);
          worker.on('exit', onExit);
          // Only our own listeners go: Worker starts and stops its port by its 'message' listeners.
          cleanups.push(() => {
            worker.off('message', onMessage);
            worker.off('error', reject);
            worker.off('exit', onExit);
          });
        }),
      );
    }
    let infos: Extract<PoolReply, { type: 'ready' }>[];
    try {
      infos = await Promise.all(ready);
    } catch (error) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw error;
    }
    for (const cleanup of cleanups) cleanup();
    const first = infos[0]!;
    const pool = new EncodePool(slots, first.dimension, first.similarityFnName, first.maxSeqLength, first.backend);
    slots.forEach((slot, i) => pool.attach(slot, i));
    return pool;
  }

  private attach(slot: Slot, index: number): void {
    slot.worker.on('message', (m: PoolReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      slot.inFlight -= 1;
      if (m.type === 'result') p.resolve(m.data);
      else p.reject(deserializeError(m.error));
    });
    const fail = (error: Error): void => {
      if (this.closed) return;
      this.broken ??= error;
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
    };
    slot.worker.on('error', (e) => fail(new SbertError('E_WORKER', `encode worker ${index} failed: ${e.message}`, { cause: e })));
    slot.worker.on('exit', (code) => fail(new SbertError('E_WORKER', `encode worker ${index} exited with code ${code}`)));
  }

  private run(slot: Slot, request: Omit<PoolRequest, 'id'>): Promise<Float32Array> {
    const id = this.nextId++;
    slot.inFlight += 1;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...request, id } satisfies PoolRequest);
    });
  }

  /**
   * `SentenceTransformer.encode` spread over the workers: same options, same batches, same
   * result (one row per text; one string gives one row). Quantisation to another precision
   * happens over the whole set at the end, as in `encode`.
   */
  async encode(texts: string, options?: EncodeOptions & { precision?: 'float32' }): Promise<Float32Array>;
  async encode(texts: readonly string[], options?: EncodeOptions & { precision?: 'float32' }): Promise<Float32Array[]>;
  async encode(texts: string | readonly string[], options?: EncodeOptions): Promise<QuantizedRow | QuantizedRow[]>;
  async encode(texts: string | readonly string[], options: EncodeOptions = {}): Promise<QuantizedRow | QuantizedRow[]> {
    if (this.broken) throw this.broken;
    if (this.closed) throw new InputError('encode: the pool is closed');
    const single = typeof texts === 'string';
    const list = single ? [texts] : texts;
    if (!Array.isArray(list)) throw new InputError(`encode expects a string or an array of strings, got ${typeof texts}`);
    list.forEach((t, i) => {
      if (typeof t !== 'string') throw new InputError(`encode: item ${i} is ${t === null ? 'null' : typeof t}; expected a string`);
    });
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
    // The batches encode() makes: longest first by code points (a prompt adds the same length to all).
    const lengths = list.map((t) => [...t].length);
    const order = list.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]!);
    const batches: number[][] = [];
    for (let s = 0; s < order.length; s += batchSize) batches.push(order.slice(s, s + batchSize));
    const { precision = 'float32', quantization, showProgress, ...perBatch } = options;
    const bar = showProgress ? new ProgressBar(list.length, 'encode ') : undefined;
    const out: Float32Array[] = new Array(list.length);
    let next = 0;
    let failure: Error | undefined;
    // Each worker keeps two batches queued so that it never waits for the main thread.
    const feed = async (slot: Slot): Promise<void> => {
      while (next < batches.length && failure === undefined) {
        const idx = batches[next++]!;
        const rows = await this.run(slot, { texts: idx.map((i) => list[i]!), options: { ...perBatch, batchSize: idx.length } });
        const dim = rows.length / idx.length;
        idx.forEach((original, r) => (out[original] = rows.subarray(r * dim, (r + 1) * dim)));
        bar?.tick(idx.length);
      }
    };
    const feeders = this.slots.flatMap((slot) => [feed(slot), feed(slot)].map((p) => p.catch((e: Error) => { failure ??= e; })));
    await Promise.all(feeders);
    if (failure) throw failure;
    bar?.finish();
    const result = precision === 'float32' ? out : quantizeEmbeddings(out, precision, quantization);
    return single ? result[0]! : result;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
