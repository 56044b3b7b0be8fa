import { describe, expect, it } from 'vitest';
import type { InputExample } from '../input-example.js';
import { stSamplerFixture as fixture } from '../test-utils/st-sampler-fixture.js';
import { NoDuplicatesBatchSampler } from './no-duplicates-batch-sampler.js';

const all = <T>(it: Iterable<T>): T[] => [...it];

describe('NoDuplicatesBatchSampler: parity with sentence-transformers', () => {
  const { anchor, positive } = fixture.data.noDuplicates;
  const dataset: InputExample[] = anchor.map((a, i) => ({ texts: [a, positive[i]!], label: i % 2 }));
  const cases = fixture.cases.filter((c) => c.sampler === 'NoDuplicatesBatchSampler');

  it.each(cases.map((c) => [c.batchSize, c.dropLast, c.seed, c.epoch, c] as const))(
    'batchSize %i dropLast %s seed %i epoch %i',
    (batchSize, dropLast, seed, epoch, c) => {
      const warnings: string[] = [];
      const sampler = new NoDuplicatesBatchSampler(dataset, { batchSize, dropLast, seed, warn: (m) => warnings.push(m) });
      sampler.setEpoch(epoch);
      expect(sampler.length).toBe(c.length);
      expect(all(sampler)).toEqual(c.batches);
      // A pass that falls short (dropLast with many duplicates) resamples, and says so.
      const firstPassShort = c.batches.flat().length !== new Set(c.batches.flat()).size;
      expect(warnings.length > 0).toBe(firstPassShort);
    },
  );

  it('no batch ever holds a text twice (labels ignored)', () => {
    for (const c of cases) {
      const sampler = new NoDuplicatesBatchSampler(dataset, { batchSize: c.batchSize, dropLast: c.dropLast, seed: c.seed, warn: () => undefined });
      for (const batch of sampler) {
        const texts = batch.flatMap((i) => dataset[i]!.texts);
        expect(new Set(texts).size).toBe(texts.length);
      }
    }
  });
});
