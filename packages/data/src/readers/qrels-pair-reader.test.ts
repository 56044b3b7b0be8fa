import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { QrelsPairReader } from './qrels-pair-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { warn: () => undefined };

describe('QrelsPairReader (crafted collection / queries / qrels)', () => {
  const queries = new Map([
    ['q1', 'what is a cat'],
    ['q2', ' leading space query'],
  ]);
  const corpus = new Map([
    ['10', 'A cat is a small mammal.'],
    ['11', 'Dogs bark.'],
    ['12', 'Cats purr.'],
  ]);

  it('qrels → (query, relevant passage) pairs', async () => {
    const file = tmp.write('train.qrels', 'q1 0 10 1\nq1 0 11 0\nq2 0 12 1\nq9 0 12 1\n');
    const reader = new QrelsPairReader(file, { queries, corpus }, { onError: 'skip', ...quiet });
    expect(await reader.toArray()).toEqual([
      { texts: ['what is a cat', 'A cat is a small mammal.'], id: 'q1:10' },
      { texts: [' leading space query', 'Cats purr.'], id: 'q2:12' },
    ]);
    expect(reader.stats).toMatchObject({ lines: 4, records: 2, skipped: { 'unknown-id': 1 }, excluded: { 'below-min-relevance': 1 } });
    await expect(new QrelsPairReader(file, { queries, corpus }).toArray()).rejects.toThrow(
      `${file}:4: unknown query id "q9" (not in the queries file)`,
    );
  });
});
