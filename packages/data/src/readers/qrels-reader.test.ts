import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import { QrelsReader } from './qrels-reader.js';
import type { SkippedLine } from './record-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { warn: () => undefined };

describe('QrelsReader', () => {
  it.each([
    ['msmarco/qrels.msmarco-passage.dev-subset.txt', 7437, { 1: 7437 }, 6980],
    ['msmarco/qrels.dl19-passage.txt', 9260, { 0: 5158, 1: 1601, 2: 1804, 3: 697 }, 43],
    ['msmarco/qrels.dl20-passage.txt', 11386, { 0: 7780, 1: 1940, 2: 1020, 3: 646 }, 54],
  ])('%s: %i judgements', async (file, count, histogram, queries) => {
    const rows = await new QrelsReader(data(file)).toArray();
    expect(rows).toHaveLength(count);
    const h: Record<number, number> = {};
    for (const r of rows) h[r.relevance] = (h[r.relevance] ?? 0) + 1;
    expect(h).toEqual(histogram);
    expect(new Set(rows.map((r) => r.queryId)).size).toBe(queries);
  });

  it('parses the TREC layout with Q0 and the 3-field layout with a BEIR header', async () => {
    expect((await new QrelsReader(data('msmarco/qrels.dl19-passage.txt')).toArray())[0]).toEqual({
      queryId: '19335',
      docId: '1017759',
      relevance: 0,
      line: 1,
    });
    const beir = tmp.write('qrels.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n');
    expect(await new QrelsReader(beir).toArray()).toEqual([
      { queryId: 'q1', docId: 'd1', relevance: 1, line: 2 },
      { queryId: 'q1', docId: 'd2', relevance: 0, line: 3 },
    ]);
  });

  it('reports wrong field counts and non-integer relevance', async () => {
    const file = tmp.write('bad.qrels', '1 0 7 1\n1 0 8\n1 0 9 x\n1 0 10 0.5\n');
    const skipped: SkippedLine[] = [];
    const reader = new QrelsReader(file, { onError: 'skip', onSkip: (s) => skipped.push(s), ...quiet });
    expect(await reader.toArray()).toHaveLength(1);
    expect(skipped.map((s) => s.message)).toEqual([
      `${file}:2: expected 4 whitespace-separated fields (qid iter docid relevance), got 3`,
      `${file}:3: relevance "x" is not a number`,
      `${file}:4: relevance "0.5" is not an integer`,
    ]);
  });
});
