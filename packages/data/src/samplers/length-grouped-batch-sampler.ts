import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { BatchSampler, batchCount, type BatchSamplerOptions } from './batch-sampler.js';
import type { SeededRandom } from './seeded-random.js';

export interface LengthGroupedBatchSamplerOptions extends BatchSamplerOptions {
  /**
   * Length of each example (e.g. token counts from the tokenizer). Default: the character
   * length of each example's longest text.
   */
  lengths?: readonly number[];
  /** Megabatch = this many batches, sorted by length together. Default 50 (as transformers' LengthGroupedSampler). */
  megabatchFactor?: number;
}

/**
 * Batches of similar length, so less padding is computed: a seeded shuffle of the dataset
 * is cut into megabatches of `megabatchFactor × batchSize` examples, each megabatch is
 * sorted by length (longest first, ties in shuffled order) and cut into batches, and the
 * order of all batches is then shuffled. Like transformers' `group_by_length`, with the
 * batch order randomised too. With `dropLast` the one incomplete batch is dropped.
 */
export class LengthGroupedBatchSampler extends BatchSampler {
  readonly lengths: readonly number[];
  readonly megabatchFactor: number;

  constructor(dataset: readonly InputExample[], options: LengthGroupedBatchSamplerOptions) {
    super(options);
    const lengths = options.lengths ?? dataset.map((e) => e.texts.reduce((m, t) => Math.max(m, t.length), 0));
    if (lengths.length !== dataset.length) {
      throw new InputError(`lengths has ${lengths.length} entries but the dataset has ${dataset.length} examples`);
    }
    lengths.forEach((l, i) => {
      if (!Number.isFinite(l) || l < 0) throw new InputError(`lengths[${i}] = ${l}: expected a non-negative number`);
    });
    this.lengths = lengths;
    this.megabatchFactor = options.megabatchFactor ?? 50;
    if (!Number.isInteger(this.megabatchFactor) || this.megabatchFactor < 1) {
      throw new InputError(`megabatchFactor must be a positive integer, got ${this.megabatchFactor}`);
    }
  }

  get length(): number {
    return batchCount(this.lengths.length, this.batchSize, this.dropLast);
  }

  protected *batches(rng: SeededRandom): Generator<number[]> {
    const order = rng.permutation(this.lengths.length);
    const megabatch = this.megabatchFactor * this.batchSize;
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += megabatch) {
      // Array#sort is stable: equal lengths keep their shuffled order.
      const group = order.slice(start, start + megabatch).sort((a, b) => this.lengths[b]! - this.lengths[a]!);
      for (let k = 0; k < group.length; k += this.batchSize) {
        const batch = group.slice(k, k + this.batchSize);
        if (batch.length === this.batchSize || !this.dropLast) batches.push(batch);
      }
    }
    yield* rng.shuffle(batches);
  }
}
