import { readFileSync } from 'node:fs';

/**
 * Batches of sentence-transformers' own samplers, run with torch.randperm replaced by the
 * mulberry32 Fisher–Yates permutation (written by packages/data/parity/st_sampler_orders.py).
 */
export interface StSamplerFixture {
  command: string;
  versions: Record<string, string>;
  data: { noDuplicates: { anchor: string[]; positive: string[] }; groupByLabel: { text: string[]; label: number[] } };
  cases: Array<{ sampler: string; batchSize: number; dropLast: boolean; seed: number; epoch: number; length: number; batches: number[][] }>;
}

export const stSamplerFixture = JSON.parse(
  readFileSync(new URL('../../../../tools/parity/fixtures/data/st-sampler-orders.json', import.meta.url), 'utf8'),
) as StSamplerFixture;
