import { describe, expect, it } from 'vitest';
import type { InputExample } from '../input-example.js';
import { DefaultBatchSampler } from './default-batch-sampler.js';
import { LengthGroupedBatchSampler } from './length-grouped-batch-sampler.js';

const all = <T>(it: Iterable<T>): T[] => [...it];

describe('LengthGroupedBatchSampler', () => {
  const lengths = Array.from({ length: 100 }, (_, i) => (i * 37) % 101);
  const dataset: InputExample[] = lengths.map((l) => ({ texts: ['x'.repeat(l)] }));

  it('covers every index once; batches of a megabatch are length-sorted; same order for the same seed', () => {
    const sampler = new LengthGroupedBatchSampler(dataset, { batchSize: 8, megabatchFactor: 4, seed: 3 });
    const batches = all(sampler);
    expect(batches).toHaveLength(13);
    expect(sampler.length).toBe(13);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const batch of batches) {
      const ls = batch.map((i) => lengths[i]!);
      expect(ls).toEqual([...ls].sort((a, b) => b - a));
    }
    expect(all(new LengthGroupedBatchSampler(dataset, { batchSize: 8, megabatchFactor: 4, seed: 3 }))).toEqual(batches);
    // Grouping pays off: the length spread inside a batch is far below that of a plain shuffle.
    const spread = (bs: number[][]) => bs.reduce((s, b) => s + Math.max(...b.map((i) => lengths[i]!)) - Math.min(...b.map((i) => lengths[i]!)), 0);
    expect(spread(batches)).toBeLessThan(spread(all(new DefaultBatchSampler(100, { batchSize: 8, seed: 3 }))) / 3);
  });

  it('dropLast drops the one short batch; explicit lengths must match the dataset', () => {
    const batches = all(new LengthGroupedBatchSampler(dataset, { batchSize: 8, dropLast: true, seed: 1 }));
    expect(batches).toHaveLength(12);
    expect(batches.every((b) => b.length === 8)).toBe(true);
    expect(() => new LengthGroupedBatchSampler(dataset, { batchSize: 8, lengths: [1, 2] })).toThrow('lengths has 2 entries but the dataset has 100 examples');
  });
});
