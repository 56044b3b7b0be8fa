import { afterAll, describe, expect, it } from 'vitest';
import { loadIrEvaluationData } from './ir-evaluation-data.js';
import { data, tempDir } from './test-utils/fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('loadIrEvaluationData', () => {
  const corpus = data('msmarco/collection.pid0-99.subset.tsv');

  it('DL19: 43 judged queries; relevance ≥ 1 gives 4,102 relevant docs, ≥ 2 gives 2,501', async () => {
    const files = { queries: data('msmarco/topics.dl19-passage.txt'), corpus, qrels: data('msmarco/qrels.dl19-passage.txt') };
    const ir = await loadIrEvaluationData(files);
    expect(ir.queries.size).toBe(43);
    expect(ir.corpus.size).toBe(89);
    expect([...ir.relevantDocs.values()].reduce((s, d) => s + d.size, 0)).toBe(4102);
    expect(ir.relevantDocs.get('1037798')?.size).toBe(13);
    expect(ir.stats).toEqual({ queriesWithoutRelevant: 0, belowMinRelevance: 5158, unknownQueries: 0, relevantNotInCorpus: 4102 });
    const strict = await loadIrEvaluationData(files, { minRelevance: 2 });
    expect([...strict.relevantDocs.values()].reduce((s, d) => s + d.size, 0)).toBe(2501);
    expect(strict.relevantDocs.get('19335')?.size).toBe(7);
    expect(strict.queries.get('19335')).toBe('anthropological definition of environment');
  });

  it('DL20: only the 54 judged topics of 200 are kept', async () => {
    const ir = await loadIrEvaluationData({ queries: data('msmarco/topics.dl20.txt'), corpus, qrels: data('msmarco/qrels.dl20-passage.txt') });
    expect(ir.queries.size).toBe(54);
    expect(ir.stats.queriesWithoutRelevant).toBe(146);
    expect(ir.relevantDocs.get('1030303')?.size).toBe(6);
    expect(ir.queries.get('1030303')).toBe('who is aziz hashim');
  });

  it('MS MARCO dev subset: 6,980 queries, one relevant passage each on average (7,437)', async () => {
    const ir = await loadIrEvaluationData({
      queries: data('msmarco/topics.msmarco-passage.dev-subset.txt'),
      corpus,
      qrels: data('msmarco/qrels.msmarco-passage.dev-subset.txt'),
    });
    expect(ir.queries.size).toBe(6980);
    expect([...ir.relevantDocs.values()].reduce((s, d) => s + d.size, 0)).toBe(7437);
  });
});
