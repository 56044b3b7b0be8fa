import { describe, expect, it } from 'vitest';
import { DefaultBatchSampler } from './default-batch-sampler.js';

const all = <T>(it: Iterable<T>): T[] => [...it];

describe('DefaultBatchSampler', () => {
  it('yields the recorded seeded order, the same on every iteration, and a new one per epoch', () => {
    const sampler = new DefaultBatchSampler(10, { batchSize: 4, seed: 42 });
    expect(all(sampler)).toEqual([
      [1, 3, 9, 5],
      [2, 8, 4, 0],
      [7, 6],
    ]);
    expect(all(sampler)).toEqual(all(sampler));
    expect(sampler.length).toBe(3);
    sampler.setEpoch(1); // seed 42 + epoch 1 = the seed-43 permutation
    expect(all(sampler).flat()).toEqual([2, 9, 1, 4, 8, 6, 5, 0, 3, 7]);
  });

  it('dropLast, and no shuffle', () => {
    expect(all(new DefaultBatchSampler(10, { batchSize: 4, dropLast: true, seed: 42 }))).toEqual([
      [1, 3, 9, 5],
      [2, 8, 4, 0],
    ]);
    expect(new DefaultBatchSampler(10, { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(all(new DefaultBatchSampler(5, { batchSize: 2, shuffle: false }))).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => new DefaultBatchSampler(5, { batchSize: 0 })).toThrow('batchSize must be a positive integer, got 0');
  });
});
