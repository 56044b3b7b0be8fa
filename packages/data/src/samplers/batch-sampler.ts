import { InputError } from '@sbert/core';
import { SeededRandom } from './seeded-random.js';

/** Options every batch sampler takes; defaults follow sentence-transformers' trainer. */
export interface BatchSamplerOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Drop the last incomplete batch. Default false (`dataloader_drop_last=False`). */
  dropLast?: boolean;
  /** Seed of the shuffle; epoch `e` uses seed + e, as sentence-transformers does. Default 0. */
  seed?: number;
}

/**
 * Base of the batch samplers: yields batches of dataset indices. Iterating again gives the
 * same order until {@link setEpoch} changes the epoch; the order depends only on (seed,
 * epoch) and the data, never on the machine.
 */
export abstract class BatchSampler implements Iterable<number[]> {
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly seed: number;
  /** Current epoch (set by the trainer at the start of each epoch). */
  epoch = 0;

  constructor(options: BatchSamplerOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new InputError(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.batchSize = options.batchSize;
    this.dropLast = options.dropLast ?? false;
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new InputError(`seed must be an integer, got ${this.seed}`);
  }

  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new InputError(`epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  /** Number of batches per epoch (sentence-transformers' `__len__`). */
  abstract get length(): number;

  [Symbol.iterator](): Iterator<number[]> {
    return this.batches(new SeededRandom(this.seed + this.epoch));
  }

  protected abstract batches(rng: SeededRandom): Generator<number[]>;
}

/** ceil or floor of size / batchSize, by dropLast. */
export function batchCount(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 0) throw new InputError(`dataset size must be a non-negative integer, got ${size}`);
}
