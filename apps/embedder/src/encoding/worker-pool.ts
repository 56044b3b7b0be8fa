/**
 * A pool of worker_threads, each with its own TF.js backend and model, encoding whole chunks.
 * Chunks go to the worker with the fewest chunks outstanding; each call resolves with its own
 * chunk's result, so callers reassemble the order themselves (see encodeInOrder).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ConfigError, SbertError, type SimilarityFunction } from '@sbert/core';
import type { ChunkEncoder } from './chunk-encoder.js';
import { deserializeError, type EncodeSettings, type SerializedError } from './encode-settings.js';

export type WorkerReply =
  | { type: 'ready'; dimension: number; backend: string; similarityFnName: SimilarityFunction; maxSeqLength: number }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; data: Float32Array; tokens?: number[] }
  | { type: 'error'; id: number; error: SerializedError };

export interface WorkerRequest {
  id: number;
  texts: readonly string[];
  /** Also count each text's tokens (after truncation, special tokens included). */
  withTokens?: boolean;
}

/** A chunk's rows back to back, and token counts when asked for. */
export interface EncodedChunk {
  data: Float32Array;
  tokens?: number[];
}

/**
 * The compiled worker script beside this module. Under the test runner this module is the
 * TypeScript source, which a worker thread cannot load, so the build in dist/ is used instead.
 */
export function workerScript(): URL {
  const sibling = new URL('./encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/encoding/encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new ConfigError(`the worker script ${fileURLToPath(sibling)} is missing; run \`pnpm build\` in apps/embedder`);
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (v: EncodedChunk) => void; reject: (e: Error) => void }>;
}

export class WorkerPool implements ChunkEncoder {
  private nextId = 0;
  private broken: Error | undefined;
  private closing = false;

  private constructor(
    private readonly slots: Slot[],
    readonly dimension: number,
    readonly backend: string,
    readonly similarityFnName: SimilarityFunction,
    readonly maxSeqLength: number,
  ) {}

  get parallelism(): number {
    return this.slots.length;
  }

  static async open(settings: EncodeSettings, size: number): Promise<WorkerPool> {
    const script = workerScript();
    const slots: Slot[] = [];
    const ready: Promise<Extract<WorkerReply, { type: 'ready' }>>[] = [];
    const cleanups: (() => void)[] = [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData: settings });
      slots.push({ worker, pending: new Map() });
      ready.push(
        new Promise((resolve, reject) => {
          const onMessage = (m: WorkerReply): void => {
            if (m.type === 'ready') resolve(m);
            else if (m.type === 'failed') reject(deserializeError(m.error));
          };
          const onExit = (code: number): void => reject(new SbertError('E_WORKER', `encode worker ${i} exited with code ${code} while starting`));
          worker.on('message', onMessage);
          worker.on('error', reject);
          worker.on('exit', onExit);
          // Only our own listeners go: Worker watches its 'message' listeners to start its port.
          cleanups.push(() => {
            worker.off('message', onMessage);
            worker.off('error', reject);
            worker.off('exit', onExit);
          });
        }),
      );
    }
    let infos: Extract<WorkerReply, { type: 'ready' }>[];
    try {
      infos = await Promise.all(ready);
    } catch (error) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw error;
    }
    for (const cleanup of cleanups) cleanup();
    const pool = new WorkerPool(slots, infos[0]!.dimension, infos[0]!.backend, infos[0]!.similarityFnName, infos[0]!.maxSeqLength);
    slots.forEach((slot, i) => pool.attach(slot, i));
    return pool;
  }

  private attach(slot: Slot, index: number): void {
    const { worker } = slot;
    worker.on('message', (m: WorkerReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.tokens ? { data: m.data, tokens: m.tokens } : { data: m.data });
      else p.reject(deserializeError(m.error));
    });
    const fail = (error: Error): void => {
      if (this.closing) return;
      this.broken ??= error;
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
    };
    worker.on('error', (e) => fail(new SbertError('E_WORKER', `encode worker ${index} failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => fail(new SbertError('E_WORKER', `encode worker ${index} exited with code ${code}`)));
  }

  encode(texts: readonly string[]): Promise<Float32Array> {
    return this.request(texts, false).then((r) => r.data);
  }

  /** Embeddings plus the token count of each text (for usage reporting). */
  encodeWithTokens(texts: readonly string[]): Promise<Required<EncodedChunk>> {
    return this.request(texts, true) as Promise<Required<EncodedChunk>>;
  }

  private request(texts: readonly string[], withTokens: boolean): Promise<EncodedChunk> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closing) return Promise.reject(new Error('internal: the worker pool is closed'));
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      const request: WorkerRequest = withTokens ? { id, texts, withTokens } : { id, texts };
      slot.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
