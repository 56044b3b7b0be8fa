import type { InputExample } from '../input-example.js';
import { BatchSampler, batchCount, type BatchSamplerOptions } from './batch-sampler.js';
import type { SeededRandom } from './seeded-random.js';

/** Extra shuffled passes allowed to reach `length` batches (sentence-transformers: 2). */
const MAX_RESAMPLE_PASSES = 2;

export interface NoDuplicatesBatchSamplerOptions extends BatchSamplerOptions {
  /** Told once per epoch when the data cannot fill `length` batches without repeats. Default: process.emitWarning. */
  warn?: (message: string) => void;
}

/**
 * Batches in which no text occurs twice, even across columns — for losses that use the
 * other examples of the batch as negatives (MultipleNegativesRankingLoss, GISTEmbedLoss...),
 * where a duplicate would be a false negative. sentence-transformers' `NoDuplicatesBatchSampler`:
 *
 * one pass walks a seeded shuffle of the dataset; an example whose texts (labels excluded)
 * share any value with the batch being built is deferred, in order, to a later batch; a full
 * batch is yielded at once; when the walk reaches the end with a partial batch it is yielded
 * unless `dropLast`, and the walk restarts over the deferred examples. If a pass yields fewer
 * than `length` batches (possible with `dropLast` and many duplicates), up to two more
 * shuffled passes fill the gap, repeating examples (a warning says so).
 */
export class NoDuplicatesBatchSampler extends BatchSampler {
  private readonly dataset: readonly InputExample[];
  private readonly warn: (message: string) => void;

  constructor(dataset: readonly InputExample[], options: NoDuplicatesBatchSamplerOptions) {
    super(options);
    this.dataset = dataset;
    this.warn = options.warn ?? ((m) => process.emitWarning(m, 'SbertDataWarning'));
  }

  get length(): number {
    return batchCount(this.dataset.length, this.batchSize, this.dropLast);
  }

  protected *batches(rng: SeededRandom): Generator<number[]> {
    if (this.dataset.length === 0) return;
    const expected = this.length;
    let yielded = 0;
    for (const batch of this.onePass(rng)) {
      yield batch;
      yielded++;
    }
    if (yielded >= expected || yielded === 0) return;
    this.warn(
      `NoDuplicatesBatchSampler: one pass gave ${yielded} of ${expected} batches; the remaining ${expected - yielded} are resampled, repeating examples`,
    );
    for (let pass = 0; pass < MAX_RESAMPLE_PASSES; pass++) {
      for (const batch of this.onePass(rng)) {
        yield batch;
        if (++yielded >= expected) return;
      }
    }
    this.warn(`NoDuplicatesBatchSampler: yielded only ${yielded} of ${expected} batches; too few distinct texts for this batch size`);
  }

  /** One walk over a fresh permutation, as a singly linked list of the not-yet-used positions. */
  private *onePass(rng: SeededRandom): Generator<number[]> {
    const n = this.dataset.length;
    const order = rng.permutation(n);
    const next = new Int32Array(n);
    for (let p = 0; p < n; p++) next[p] = p + 1;
    next[n - 1] = -1;
    let head = 0;
    while (head !== -1) {
      const values = new Set<string>();
      const batch: number[] = [];
      let position = head;
      let previous = -1;
      let full = false;
      while (position !== -1) {
        const following = next[position]!;
        const index = order[position]!;
        const texts = this.dataset[index]!.texts;
        if (texts.some((t) => values.has(t))) {
          previous = position; // defer: stays in the list
          position = following;
          continue;
        }
        batch.push(index);
        if (previous === -1) head = following;
        else next[previous] = following;
        if (batch.length === this.batchSize) {
          full = true;
          yield batch;
          break;
        }
        for (const t of texts) values.add(t);
        position = following;
      }
      if (!full && !this.dropLast) yield batch;
    }
  }
}
