import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { BatchSampler, type BatchSamplerOptions } from './batch-sampler.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * Batches for in-batch triplet mining (BatchHardTripletLoss, BatchAllTripletLoss...): every
 * batch holds at least two labels with at least two examples each. sentence-transformers'
 * `GroupByLabelBatchSampler`:
 *
 * - labels with fewer than 2 examples are ignored; each label's examples are shuffled and
 *   cut to an even count;
 * - round-robin: each round visits the remaining labels in a fresh random order (swapping the
 *   first two if the first equals the previous round's last, so consecutive pairs differ),
 *   each giving 2 examples; the stream is cut into batches of `batchSize`; a label leaves when
 *   it runs out, and the stream stops when fewer than 2 labels remain;
 * - the last partial batch is kept unless `dropLast`, and only if it holds at least 4 examples.
 *
 * `batchSize` must be even and at least 4. Labels are the examples' scalar `label`s.
 */
export class GroupByLabelBatchSampler extends BatchSampler {
  /** Label → dataset indices, labels in order of first appearance. */
  private readonly groups: Map<number, number[]>;
  private readonly streamLength: number;

  constructor(dataset: readonly InputExample[], options: BatchSamplerOptions) {
    super(options);
    if (this.batchSize < 4 || this.batchSize % 2 === 1) {
      throw new InputError(`batchSize must be an even number >= 4, but got ${this.batchSize}`);
    }
    const all = new Map<number, number[]>();
    dataset.forEach((example, i) => {
      const label = example.label;
      if (typeof label !== 'number') {
        throw new InputError(`example ${i} has label ${JSON.stringify(label)}: GroupByLabelBatchSampler needs a scalar label on every example`);
      }
      let group = all.get(label);
      if (group === undefined) all.set(label, (group = []));
      group.push(i);
    });
    this.groups = new Map([...all].filter(([, indices]) => indices.length >= 2));
    if (this.groups.size < 2) {
      throw new InputError(
        `GroupByLabelBatchSampler requires at least 2 distinct labels with >= 2 examples each, but only ${this.groups.size} label(s) qualified`,
      );
    }
    // Round-robin stops when one label is left: the stream holds, per label, at most as many
    // pairs as the second-largest label has.
    const pairs = [...this.groups.values()].map((g) => Math.floor(g.length / 2)).sort((a, b) => b - a);
    const cap = pairs[1]!;
    this.streamLength = 2 * pairs.reduce((sum, p) => sum + Math.min(p, cap), 0);
  }

  get length(): number {
    const full = Math.floor(this.streamLength / this.batchSize);
    return !this.dropLast && this.streamLength % this.batchSize >= 4 ? full + 1 : full;
  }

  protected *batches(rng: SeededRandom): Generator<number[]> {
    const queues = new Map<number, { items: number[]; next: number }>();
    for (const [label, indices] of this.groups) {
      const perm = rng.permutation(indices.length).slice(0, Math.floor(indices.length / 2) * 2);
      queues.set(label, { items: perm.map((k) => indices[k]!), next: 0 });
    }
    let remaining = [...queues.keys()];
    let batch: number[] = [];
    let lastLabel: number | undefined;
    while (remaining.length >= 2) {
      const perm = rng.permutation(remaining.length);
      remaining = perm.map((k) => remaining[k]!);
      if (batch.length > 0 && remaining[0] === lastLabel) [remaining[0], remaining[1]] = [remaining[1]!, remaining[0]!];
      for (const label of remaining) {
        const queue = queues.get(label)!;
        batch.push(queue.items[queue.next]!, queue.items[queue.next + 1]!);
        queue.next += 2;
        if (batch.length >= this.batchSize) {
          yield batch.slice(0, this.batchSize);
          batch = batch.slice(this.batchSize);
        }
      }
      lastLabel = remaining[remaining.length - 1];
      remaining = remaining.filter((label) => {
        const queue = queues.get(label)!;
        return queue.next < queue.items.length;
      });
    }
    if (!this.dropLast && batch.length >= 4) yield batch;
  }
}
