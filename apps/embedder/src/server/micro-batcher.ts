/**
 * Micro-batching: concurrent requests are queued and encoded together, up to `concurrency`
 * model calls at a time (one per worker). A batch starts when `maxBatchTexts` texts are
 * waiting, or `maxWaitMs` after the first one arrived, or as soon as a running batch ends
 * (its duration was already spent waiting). Requests are never split, so a batch can exceed
 * `maxBatchTexts` only by holding a single request that is larger. Each request gets back
 * exactly its own results, in order.
 */
import { ApiError } from './api-error.js';

interface Job<T> {
  texts: readonly string[];
  resolve: (results: T[]) => void;
  reject: (error: unknown) => void;
}

export interface MicroBatcherOptions {
  /** Texts per model call (default 64). */
  maxBatchTexts?: number;
  /** Longest wait for companions (default 2 ms). */
  maxWaitMs?: number;
  /** Texts allowed to wait; beyond that requests get 503 (default 8192). */
  maxQueueTexts?: number;
  /** Batches encoded at the same time (default 1). */
  concurrency?: number;
  /** Sees every batch: number of texts and seconds the model call took. */
  onBatch?: (texts: number, seconds: number) => void;
}

export class MicroBatcher<T = Float32Array> {
  private readonly queue: Job<T>[] = [];
  private queued = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly maxWait: number;
  private readonly maxQueue: number;
  private readonly concurrency: number;

  constructor(
    private readonly encode: (texts: string[]) => Promise<T[]>,
    private readonly options: MicroBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatchTexts ?? 64;
    this.maxWait = options.maxWaitMs ?? 2;
    this.maxQueue = options.maxQueueTexts ?? 8192;
    this.concurrency = options.concurrency ?? 1;
  }

  /** Texts waiting for a batch. */
  get queuedTexts(): number {
    return this.queued;
  }

  submit(texts: readonly string[]): Promise<T[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (this.queued > 0 && this.queued + texts.length > this.maxQueue) {
      return Promise.reject(new ApiError(503, `the server is overloaded (${this.queued} texts waiting); retry later`, null, 'overloaded'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ texts, resolve, reject });
      this.queued += texts.length;
      this.kick();
    });
  }

  private kick(): void {
    while (this.running < this.concurrency && this.queued >= this.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.run();
    }
    if (this.running >= this.concurrency || this.queue.length === 0) return;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.run();
      }, this.maxWait);
    }
  }

  private async run(): Promise<void> {
    if (this.running >= this.concurrency || this.queue.length === 0) return;
    this.running++;
    const jobs: Job<T>[] = [];
    let n = 0;
    while (this.queue.length > 0 && (jobs.length === 0 || n + this.queue[0]!.texts.length <= this.maxBatch)) {
      const job = this.queue.shift()!;
      jobs.push(job);
      n += job.texts.length;
    }
    this.queued -= n;
    const started = process.hrtime.bigint();
    try {
      const results = await this.encode(jobs.flatMap((j) => j.texts));
      let k = 0;
      for (const job of jobs) {
        job.resolve(results.slice(k, k + job.texts.length));
        k += job.texts.length;
      }
    } catch (error) {
      for (const job of jobs) job.reject(error);
    } finally {
      this.options.onBatch?.(n, Number(process.hrtime.bigint() - started) / 1e9);
      this.running--;
      if (this.queue.length > 0) {
        // Those waiting already waited a whole batch; let pending I/O add to them, then go.
        setImmediate(() => void this.run());
      } else if (this.running === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
