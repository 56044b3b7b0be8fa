import { BatchSampler, batchCount, checkSize, type BatchSamplerOptions } from './batch-sampler.js';
import type { SeededRandom } from './seeded-random.js';

export interface DefaultBatchSamplerOptions extends BatchSamplerOptions {
  /** Shuffle the indices each epoch (seeded). Default true. */
  shuffle?: boolean;
}

/**
 * Consecutive batches over a seeded shuffle of 0..size-1 (or in order with `shuffle: false`)
 * — sentence-transformers' `DefaultBatchSampler` over a random sampler. The order is the
 * same across runs and machines for a given (seed, epoch).
 */
export class DefaultBatchSampler extends BatchSampler {
  readonly size: number;
  readonly shuffle: boolean;

  constructor(size: number, options: DefaultBatchSamplerOptions) {
    super(options);
    checkSize(size);
    this.size = size;
    this.shuffle = options.shuffle ?? true;
  }

  get length(): number {
    return batchCount(this.size, this.batchSize, this.dropLast);
  }

  protected *batches(rng: SeededRandom): Generator<number[]> {
    const order = this.shuffle ? rng.permutation(this.size) : Array.from({ length: this.size }, (_, i) => i);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      if (batch.length < this.batchSize && this.dropLast) return;
      yield batch;
    }
  }
}
