import { describe, expect, it } from 'vitest';
import type { InputExample } from '../input-example.js';
import { stSamplerFixture as fixture } from '../test-utils/st-sampler-fixture.js';
import { GroupByLabelBatchSampler } from './group-by-label-batch-sampler.js';

const all = <T>(it: Iterable<T>): T[] => [...it];

describe('GroupByLabelBatchSampler: parity with sentence-transformers', () => {
  const { text, label } = fixture.data.groupByLabel;
  const dataset: InputExample[] = text.map((t, i) => ({ texts: [t], label: label[i]! }));
  const cases = fixture.cases.filter((c) => c.sampler === 'GroupByLabelBatchSampler');

  it.each(cases.map((c) => [c.batchSize, c.dropLast, c.seed, c.epoch, c] as const))(
    'batchSize %i dropLast %s seed %i epoch %i',
    (batchSize, dropLast, seed, epoch, c) => {
      const sampler = new GroupByLabelBatchSampler(dataset, { batchSize, dropLast, seed });
      sampler.setEpoch(epoch);
      expect(sampler.length).toBe(c.length);
      const batches = all(sampler);
      expect(batches).toEqual(c.batches);
      for (const batch of batches) {
        const perLabel = new Map<number, number>();
        for (const i of batch) perLabel.set(dataset[i]!.label as number, (perLabel.get(dataset[i]!.label as number) ?? 0) + 1);
        expect(perLabel.size).toBeGreaterThanOrEqual(2);
        for (const n of perLabel.values()) expect(n % 2).toBe(0);
      }
    },
  );

  it('rejects odd or small batch sizes and single-label data', () => {
    expect(() => new GroupByLabelBatchSampler(dataset, { batchSize: 6 + 1 })).toThrow('batchSize must be an even number >= 4, but got 7');
    const oneLabel = [0, 0, 0, 1].map((l, i) => ({ texts: [`t${i}`], label: l }));
    expect(() => new GroupByLabelBatchSampler(oneLabel, { batchSize: 4 })).toThrow('only 1 label(s) qualified');
  });
});
