import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { MarginMseScoresReader } from './margin-mse-scores-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { warn: () => undefined };

describe('MarginMseScoresReader (crafted teacher-score TSV)', () => {
  const queries = new Map([
    ['q1', 'what is a cat'],
    ['q2', ' leading space query'],
  ]);
  const corpus = new Map([
    ['10', 'A cat is a small mammal.'],
    ['11', 'Dogs bark.'],
    ['12', 'Cats purr.'],
  ]);

  it('Hofstätter teacher-score TSV (score_pos, score_neg, qid, pid_pos, pid_neg) for MarginMSE', async () => {
    const file = tmp.write('scores.tsv', '12.5\t-3.25\tq1\t10\t11\n7\t8\tq2\t12\t11\nhigh\t1\tq1\t10\t11\n1\t2\tq1\t10\n');
    const reader = new MarginMseScoresReader(file, { queries, corpus }, { onError: 'skip', ...quiet });
    expect(await reader.toArray()).toEqual([
      { texts: ['what is a cat', 'A cat is a small mammal.', 'Dogs bark.'], label: [12.5, -3.25], id: 'q1:10:11' },
      { texts: [' leading space query', 'Cats purr.', 'Dogs bark.'], label: [7, 8], id: 'q2:12:11' },
    ]);
    expect(reader.stats.skipped).toEqual({ 'unparsable-label': 1, 'column-count': 1 });
    const margins = await new MarginMseScoresReader(file, { queries, corpus }, { label: 'margins', onError: 'skip', ...quiet }).toArray();
    expect(margins.map((r) => r.label)).toEqual([[15.75], [-1]]);
    await expect(new MarginMseScoresReader(file, { queries, corpus }).toArray()).rejects.toThrow(`${file}:3: score_pos "high" is not a number`);
  });
});
