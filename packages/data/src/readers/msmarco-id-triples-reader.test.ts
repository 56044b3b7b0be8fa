import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { MsMarcoIdTriplesReader } from './msmarco-id-triples-reader.js';
import type { SkippedLine } from './record-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { warn: () => undefined };

describe('MsMarcoIdTriplesReader (crafted collection / queries)', () => {
  const queries = new Map([
    ['q1', 'what is a cat'],
    ['q2', ' leading space query'],
  ]);
  const corpus = new Map([
    ['10', 'A cat is a small mammal.'],
    ['11', 'Dogs bark.'],
    ['12', 'Cats purr.'],
  ]);

  it('qidpidtriples joined with the texts; unknown ids reported', async () => {
    const file = tmp.write('qidpidtriples.tsv', 'q1\t10\t11\nq2\t12\t11\nq3\t10\t11\nq1\t10\t99\n');
    const skipped: SkippedLine[] = [];
    const reader = new MsMarcoIdTriplesReader(file, { queries, corpus }, { onError: 'skip', onSkip: (s) => skipped.push(s), ...quiet });
    expect(await reader.toArray()).toEqual([
      { texts: ['what is a cat', 'A cat is a small mammal.', 'Dogs bark.'], id: 'q1:10:11' },
      { texts: [' leading space query', 'Cats purr.', 'Dogs bark.'], id: 'q2:12:11' },
    ]);
    expect(skipped.map((s) => s.message)).toEqual([
      `${file}:3: unknown query id "q3" (not in the queries file)`,
      `${file}:4: unknown passage id "99" (not in the corpus file)`,
    ]);
    expect(reader.stats.skipped).toEqual({ 'unknown-id': 2 });
  });
});
