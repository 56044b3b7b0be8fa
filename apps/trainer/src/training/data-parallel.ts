/**
 * Data-parallel gradients over worker threads, for backends that use one core each (wasm in
 * Node). Each worker holds a replica of the model and back-propagates its share of the batch's
 * rows; the main thread keeps the model of record, computes the loss over all rows (so batch-wide
 * losses such as CoSENT and MultipleNegativesRanking see the whole batch) and sums the gradients.
 *
 * Per step:
 *   1. the main thread publishes the current weights (shared memory) when they changed;
 *   2. worker w embeds its rows R_w with a gradient tape and posts E_w, then waits;
 *   3. the main thread computes L(E_1 ⊕ … ⊕ E_n), G = ∂L/∂E, and the gradients of the loss's
 *      own weights; it writes G_w into worker w's shared buffer and wakes the workers;
 *   4. worker w back-propagates Σ E_w · G_w, i.e. ∂L/∂θ restricted to R_w, into shared memory;
 *   5. the main thread sums the workers' gradients; or, with `keepModelGradients`, they stay in
 *      shared memory and applyOptimizer runs the clipping and AdamW on them in the workers, each
 *      over its share of the parameters, while the main thread updates the loss's own weights.
 * The result equals the single-threaded gradient up to float summation order; dropout masks
 * differ (each worker seeds its own rows), as with any change of the batch split.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ConfigError, SbertError, SentenceTransformer, tf, type BackendChoice, type NamedWeight } from '@sbert/core';
import type { Loss } from '@sbert/losses';
import { clipScale, sumOfSquares, type AdamW } from './adamw.js';
import type { BatchGradients, TextBatch } from './gradients.js';
import { chunkSeed } from './gradients.js';
import type { DataParallelWorkerData, OptimizerRequest, Segment, SerializedError, StepRequest, WorkerReply } from './data-parallel-messages.js';

function workerScript(): URL {
  const sibling = new URL('./data-parallel-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/training/data-parallel-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new ConfigError(`the worker script ${fileURLToPath(sibling)} is missing; run \`pnpm build\` in apps/trainer`);
}

function toError(e: SerializedError, index: number): Error {
  return new SbertError(e.code ?? 'E_WORKER', `data-parallel worker ${index}: ${e.message}`);
}

interface Slot {
  worker: Worker;
  grads: Float32Array;
  gradsBuffer: SharedArrayBuffer;
  /** The reply the current step waits for. */
  waiting?: { resolve: (m: WorkerReply) => void; reject: (e: Error) => void };
}

/** Splits `rows` rows over at most `n` workers as evenly as possible: [start, end) per worker. */
export function splitRows(rows: number, n: number): [number, number][] {
  const parts = Math.min(n, rows);
  return Array.from({ length: parts }, (_, w) => [Math.floor((w * rows) / parts), Math.floor(((w + 1) * rows) / parts)]);
}

export class DataParallel {
  /** Where the last step's time went, per worker and on the main thread (milliseconds). */
  lastTimings: { main: Record<string, number>; workers: Record<string, number>[] } | undefined;
  private version = 0;
  private published = -1;
  private readonly offsets: Map<string, number>;
  private broken: Error | undefined;
  private closed = false;
  /** Which weights got gradients in the last batch whose model gradients were kept in shared memory. */
  private kept: boolean[] | undefined;
  private keptWorkers = 0;

  private constructor(
    private readonly slots: Slot[],
    private readonly model: SentenceTransformer,
    private readonly weights: NamedWeight[],
    private readonly sizes: number[],
    private readonly sharedWeights: Float32Array,
    private readonly sharedWeightsBuffer: SharedArrayBuffer,
    private readonly tmpDir: string,
  ) {
    let offset = 0;
    this.offsets = new Map(weights.map((w, i) => {
      const at = offset;
      offset += sizes[i]!;
      return [w.name, at];
    }));
  }

  get workers(): number {
    return this.slots.length;
  }

  /**
   * Starts `workers` threads, each loading a copy of `model` (saved once to a temporary
   * directory) on `backend`.
   */
  static async open(model: SentenceTransformer, options: { workers: number; backend: BackendChoice }): Promise<DataParallel> {
    const weights = model.trainableWeights();
    const sizes = weights.map((w) => w.variable.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'sbert-data-parallel-'));
    const modelDir = path.join(tmpDir, 'model');
    const slots: Slot[] = [];
    try {
      await model.save(modelDir);
      const sharedWeights = new SharedArrayBuffer(total * 4);
      const script = workerScript();
      const ready: Promise<void>[] = [];
      const cleanups: (() => void)[] = [];
      for (let i = 0; i < options.workers; i++) {
        const grads = new SharedArrayBuffer(total * 4);
        const data: DataParallelWorkerData = { modelDir, backend: options.backend, weights: sharedWeights, grads };
        const worker = new Worker(script, { workerData: data });
        slots.push({ worker, grads: new Float32Array(grads), gradsBuffer: grads });
        ready.push(
          new Promise<void>((resolve, reject) => {
            const onMessage = (m: WorkerReply): void => {
              if (m.type === 'failed') reject(toError(m.error, i));
              else if (m.type === 'ready') {
                const same = m.names.length === weights.length && m.names.every((n, k) => n === weights[k]!.name && m.sizes[k] === sizes[k]);
                if (same) resolve();
                else reject(new SbertError('E_WORKER', `data-parallel worker ${i}: its model copy has other weights than the model (${m.names.length} vs ${weights.length})`));
              }
            };
            const onExit = (code: number): void => reject(new SbertError('E_WORKER', `data-parallel worker ${i} exited with code ${code} while starting`));
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
      await Promise.all(ready);
      for (const cleanup of cleanups) cleanup();
      const dp = new DataParallel(slots, model, weights, sizes, new Float32Array(sharedWeights), sharedWeights, tmpDir);
      slots.forEach((s, i) => dp.attach(s, i));
      return dp;
    } catch (error) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      rmSync(tmpDir, { recursive: true, force: true });
      throw error;
    }
  }

  private attach(slot: Slot, index: number): void {
    slot.worker.on('message', (m: WorkerReply) => {
      const w = slot.waiting;
      slot.waiting = undefined;
      if (!w) return;
      if (m.type === 'error') w.reject(toError(m.error, index));
      else w.resolve(m);
    });
    const fail = (error: Error): void => {
      if (this.closed) return;
      this.broken ??= error;
      slot.waiting?.reject(error);
      slot.waiting = undefined;
    };
    slot.worker.on('error', (e) => fail(new SbertError('E_WORKER', `data-parallel worker ${index} failed: ${e.message}`, { cause: e })));
    slot.worker.on('exit', (code) => fail(new SbertError('E_WORKER', `data-parallel worker ${index} exited with code ${code}`)));
  }

  private next(slot: Slot): Promise<WorkerReply> {
    return new Promise((resolve, reject) => (slot.waiting = { resolve, reject }));
  }

  /** Tells the workers that the model's weights changed in some way: they are all copied again before the next step. */
  weightsChanged(): void {
    this.version += 1;
  }

  /**
   * Shares the new values of one model weight with the workers (pass it as AdamW's
   * `onUpdated`): no full copy of the model before the next step. Names the workers do not
   * hold (a loss's own weights) are ignored.
   */
  weightUpdated(name: string, values: Float32Array): void {
    const at = this.offsets.get(name);
    if (at === undefined) return;
    const current = this.published === this.version;
    this.sharedWeights.set(values, at);
    this.version += 1;
    if (current) this.published = this.version;
  }

  private publish(): void {
    if (this.published === this.version) return;
    let offset = 0;
    this.weights.forEach((w, i) => {
      this.sharedWeights.set(w.variable.dataSync() as Float32Array, offset);
      offset += this.sizes[i]!;
    });
    this.published = this.version;
  }

  /**
   * Loss and gradients of one batch, as `batchGradients` (plain path) computes them, with the
   * rows spread over the workers (each caches its gradients over chunks of `miniBatchSize` rows
   * when that is smaller than its share). With `keepModelGradients` the returned map holds only the
   * loss's own weights: the model's gradients stay in the workers' shared buffers for
   * applyOptimizer, which must come next.
   */
  async batchGradients(loss: Loss, batch: TextBatch, options: { training: boolean; seed: number; keepModelGradients?: boolean; miniBatchSize?: number }): Promise<BatchGradients> {
    if (this.broken) throw this.broken;
    this.kept = undefined;
    const t0 = performance.now();
    this.publish();
    const tPublished = performance.now();
    const B = batch.columns[0]?.length ?? 0;
    const parts = splitRows(B, this.slots.length);
    const active = this.slots.slice(0, parts.length);
    const control = new SharedArrayBuffer(4);
    const flag = new Int32Array(control);
    const upstreams = parts.map(([s, e]) => new SharedArrayBuffer(Math.max(1, (e - s) * batch.columns.length) * 4 * this.model.getSentenceEmbeddingDimension()));
    const embeddedReplies = active.map((slot) => this.next(slot));
    active.forEach((slot, w) => {
      const [s, e] = parts[w]!;
      const request: StepRequest = {
        type: 'step',
        version: this.version,
        columns: batch.columns.map((texts) => texts.slice(s, e)),
        seeds: batch.columns.map((_, c) => chunkSeed(options.seed, c, w)),
        training: options.training,
        ...(options.miniBatchSize !== undefined ? { miniBatchSize: options.miniBatchSize } : {}),
        control,
        upstream: upstreams[w]!,
      };
      slot.worker.postMessage(request);
    });
    const release = (value: number): void => {
      Atomics.store(flag, 0, value);
      Atomics.notify(flag, 0);
    };
    let doneReplies: Promise<WorkerReply>[] = [];
    try {
      const embedded = (await Promise.all(embeddedReplies)) as Extract<WorkerReply, { type: 'embedded' }>[];
      const tEmbedded = performance.now();
      doneReplies = active.map((slot) => this.next(slot));
      const dim = embedded[0]!.dim;
      // Each column's embeddings in row order: worker parts one after the other.
      const columns = batch.columns.map((_, c) =>
        tf.tidy(() => tf.concat(embedded.map((m, w) => {
          const rows = parts[w]![1] - parts[w]![0];
          return tf.tensor2d(m.data.subarray(c * rows * dim, (c + 1) * rows * dim), [rows, dim]);
        }), 0) as tf.Tensor2D),
      );
      const f = (...e: tf.Tensor[]): tf.Scalar => loss.computeLossFromEmbeddings(e as tf.Tensor2D[], batch.labels);
      const total = new Map<string, tf.Tensor>();
      let lossValue: number;
      try {
        const { value, grads: embeddingGrads } = tf.valueAndGrads(f)(columns);
        lossValue = value.dataSync()[0]!;
        value.dispose();
        const lossWeights = loss.trainableWeights();
        if (lossWeights.length > 0) {
          const { value: v, grads } = tf.variableGrads(() => f(...columns), lossWeights.map((w) => w.variable));
          v.dispose();
          for (const w of lossWeights) {
            const g = grads[w.variable.name];
            if (g) total.set(w.name, g);
          }
        }
        const g = embeddingGrads.map((t) => t.dataSync() as Float32Array);
        tf.dispose(embeddingGrads);
        parts.forEach(([s, e], w) => {
          const rows = e - s;
          const target = new Float32Array(upstreams[w]!);
          g.forEach((col, c) => target.set(col.subarray(s * dim, e * dim), c * rows * dim));
        });
      } finally {
        tf.dispose(columns);
      }
      release(1);
      const tReleased = performance.now();
      const done = (await Promise.all(doneReplies)) as Extract<WorkerReply, { type: 'done' }>[];
      const tDone = performance.now();
      if (options.keepModelGradients) {
        this.kept = this.weights.map((_, i) => done.some((d) => d.present[i]));
        this.keptWorkers = active.length;
      } else {
        // Sum the workers' gradients, weight by weight.
        let offset = 0;
        this.weights.forEach((w, i) => {
          const size = this.sizes[i]!;
          if (done.some((d) => d.present[i])) {
            // Summed by the backend (SIMD on wasm), not in a JS loop.
            const parts = active.map((slot) => slot.grads.subarray(offset, offset + size));
            total.set(w.name, tf.tidy(() => tf.addN(parts.map((p) => tf.tensor(p, w.variable.shape)))));
          }
          offset += size;
        });
      }
      const tEnd = performance.now();
      this.lastTimings = {
        main: { publishWeights: tPublished - t0, waitEmbeddings: tEmbedded - tPublished, loss: tReleased - tEmbedded, waitGradients: tDone - tReleased, sumGradients: tEnd - tDone },
        workers: done.map((d) => d.ms),
      };
      return { loss: lossValue, grads: total };
    } catch (error) {
      // Wake any worker still waiting for its upstream gradients, and stop using the pool: its
      // workers may still send replies of this step.
      release(2);
      await Promise.allSettled(doneReplies);
      this.broken ??= error as Error;
      throw error;
    }
  }

  /** Sends each active worker its request and waits for every reply of type `type`. */
  private async ask<T extends WorkerReply['type']>(requests: OptimizerRequest[], type: T): Promise<Extract<WorkerReply, { type: T }>[]> {
    const replies = requests.map((_, w) => this.next(this.slots[w]!));
    requests.forEach((r, w) => this.slots[w]!.worker.postMessage(r));
    const got = await Promise.all(replies);
    for (const r of got) if (r.type !== type) throw new SbertError('E_WORKER', `data-parallel worker sent '${r.type}' instead of '${type}'`);
    return got as Extract<WorkerReply, { type: T }>[];
  }

  /**
   * One AdamW step (with clipping to `maxGradNorm`) on the gradients the last
   * `batchGradients(..., { keepModelGradients: true })` left in shared memory, plus `lossGrads`
   * (the loss's own weights, updated here on the main thread). Each worker sums the workers'
   * gradients over its share of the parameters, then updates that share of the weights and of
   * the optimizer's moments in place; the model's variables get the new weights afterwards.
   * Gives the same weights as `optimizer.apply(allGradients, { maxGradNorm })`.
   */
  async applyOptimizer(optimizer: AdamW, lossGrads: Map<string, tf.Tensor>, options: { maxGradNorm?: number } = {}): Promise<{ gradNorm?: number }> {
    if (this.broken) throw this.broken;
    const kept = this.kept;
    if (!kept) throw new SbertError('E_WORKER', 'applyOptimizer needs the gradients of batchGradients(..., { keepModelGradients: true }) first');
    this.kept = undefined;
    const { m, v, offsets: momentOffsets } = optimizer.moments;
    // Contiguous shares of the flat parameter vector, cut into one segment per weight with a gradient.
    const total = this.sharedWeights.length;
    const shares = splitRows(total, this.keptWorkers);
    const segments: Segment[][] = shares.map(() => []);
    this.weights.forEach((w, i) => {
      if (!kept[i]) return;
      const at = this.offsets.get(w.name)!;
      const momentsAt = momentOffsets.get(w.name);
      if (momentsAt === undefined) throw new SbertError('E_WORKER', `the optimizer does not hold the model weight '${w.name}'`);
      shares.forEach(([s, e], k) => {
        const from = Math.max(s, at);
        const to = Math.min(e, at + this.sizes[i]!);
        if (from < to) segments[k]!.push({ from, to, momentsAt: momentsAt + (from - at), decay: optimizer.decay(w.name) });
      });
    });
    const grads = this.slots.slice(0, this.keptWorkers).map((s) => s.gradsBuffer);
    const lossValues = new Map([...lossGrads].map(([name, g]) => [name, g.dataSync() as Float32Array]));
    let scale = 1;
    let gradNorm: number | undefined;
    if (options.maxGradNorm !== undefined && options.maxGradNorm > 0) {
      const sums = await this.ask(segments.map((seg) => ({ type: 'sum-gradients', grads, segments: seg })), 'summed');
      let sq = sums.reduce((a, r) => a + r.sumOfSquares, 0);
      for (const g of lossValues.values()) sq += sumOfSquares(g);
      gradNorm = Math.sqrt(sq);
      scale = clipScale(gradNorm, options.maxGradNorm);
    }
    const step = optimizer.beginStep();
    const updated = this.ask(
      segments.map((seg) => ({ type: 'adamw', grads, summed: gradNorm !== undefined, weights: this.sharedWeightsBuffer, m, v, segments: seg, scale, step })),
      'updated',
    );
    optimizer.update(lossValues, scale, step);
    await updated;
    // The model of record takes the new weights (a copy: a backend may keep the array it is
    // given, and the workers write the shared one); the shared copy is current for the workers.
    this.weights.forEach((w, i) => {
      if (!kept[i]) return;
      const at = this.offsets.get(w.name)!;
      tf.tidy(() => w.variable.assign(tf.tensor(this.sharedWeights.slice(at, at + this.sizes[i]!), w.variable.shape)));
    });
    const current = this.published === this.version;
    this.version += 1;
    if (current) this.published = this.version;
    return gradNorm === undefined ? {} : { gradNorm };
  }

  /** Stops the workers and removes the temporary model copy. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
