import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '@sbert/core';
import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture, named, sharedData } from '../test-utils/fixtures.js';
import {
  accuracyAtK,
  averagePrecisionAtK,
  compareCodePoints,
  computeInformationRetrievalMetrics,
  type InformationRetrievalMetrics,
  ndcgAtK,
  precisionAtK,
  recallAtK,
  reciprocalRankAtK,
  type RetrievalHit,
  sortHits,
} from './information-retrieval-metrics.js';

const fixture = loadFixture('ir.json');

/** ST's key (e.g. "ndcg@k") → our field. */
const FIELDS: Record<string, keyof InformationRetrievalMetrics> = {
  'accuracy@k': 'accuracyAtK',
  'precision@k': 'precisionAtK',
  'recall@k': 'recallAtK',
  'ndcg@k': 'ndcgAtK',
  'mrr@k': 'mrrAtK',
  'map@k': 'mapAtK',
};

function toKs(ks: any) {
  return {
    accuracyAtK: ks.accuracy_at_k,
    precisionRecallAtK: ks.precision_recall_at_k,
    mrrAtK: ks.mrr_at_k,
    ndcgAtK: ks.ndcg_at_k,
    mapAtK: ks.map_at_k,
  };
}

function expectSameMetrics(actual: InformationRetrievalMetrics, expected: any, tol: number): void {
  for (const [stKey, field] of Object.entries(FIELDS)) {
    const exp = expected[stKey] as Record<string, number>;
    expect([...actual[field].keys()].map(String).sort()).toEqual(Object.keys(exp).sort());
    for (const [k, v] of Object.entries(exp)) expectClose(actual[field].get(Number(k)) as number, v, tol, `${stKey} k=${k}`);
  }
}

describe('computeInformationRetrievalMetrics on TREC DL19 (BM25 run + qrels from ../shared/data)', () => {
  // The run: qid 0 pid rank score tag (TAB-separated); qrels: qid Q0 pid rel (spaces).
  const run = new Map<string, RetrievalHit[]>();
  for (const line of readFileSync(resolve(sharedData, 'msmarco/msmarco-passage-trec-dl-2019-judged.bm25.run'), 'utf8').split('\n')) {
    if (!line) continue;
    const [qid, , pid, , score] = line.split('\t') as [string, string, string, string, string];
    if (!run.has(qid)) run.set(qid, []);
    run.get(qid)?.push({ corpusId: pid, score: Number(score) });
  }
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(resolve(sharedData, 'msmarco/qrels.dl19-passage.txt'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [qid, , pid, rel] = line.trim().split(/\s+/) as [string, string, string, string];
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    qrels.get(qid)?.set(pid, Number(rel));
  }

  it('has the 43 judged queries × 500 hits', () => {
    expect(run.size).toBe(43);
    expect([...run.values()].every((h) => h.length === 500)).toBe(true);
  });

  it.each(named(fixture.dl19.cases, (c: any) => c.min_relevance))(
    'matches sentence-transformers compute_metrics with relevance >= %s (within 1e-12)',
    (_min, c: any) => {
      const queries = c.query_ids.map((qid: string) => ({
        hits: run.get(qid) as RetrievalHit[],
        relevant: new Set([...(qrels.get(qid) as Map<string, number>)].filter(([, r]) => r >= c.min_relevance).map(([p]) => p)),
      }));
      expectSameMetrics(computeInformationRetrievalMetrics(queries, toKs(fixture.dl19.ks)), c.metrics, 1e-12);
    },
  );
});

describe('computeInformationRetrievalMetrics on adversarial hits', () => {
  it('matches sentence-transformers: ties by id as strings, misses, short lists, unsorted hits', () => {
    const s = fixture.small;
    const queries = s.query_ids.map((qid: string) => ({
      hits: s.hits[qid].map((h: any) => ({ corpusId: h.corpus_id, score: h.score })),
      relevant: s.relevant[qid],
    }));
    expectSameMetrics(computeInformationRetrievalMetrics(queries, toKs(s.ks)), s.metrics, 1e-12);
    // ST leaves out the query without relevant documents.
    expect(s.query_ids).not.toContain('q_skipped');
  });

  it('rejects invalid input with typed errors', () => {
    const q = { hits: [{ corpusId: 'a', score: 1 }], relevant: ['a'] };
    expect(() => computeInformationRetrievalMetrics([])).toThrow(/queries is empty/);
    expect(() => computeInformationRetrievalMetrics([{ ...q, relevant: [] }])).toThrow(/queries\[0\]\.relevant is empty/);
    expect(() => computeInformationRetrievalMetrics([q], { ndcgAtK: [0] })).toThrow(/ndcgAtK contains 0; expected positive integers/);
    expect(() => computeInformationRetrievalMetrics([q], { mapAtK: [] })).toThrow(InputError);
    expect(() => computeInformationRetrievalMetrics([{ ...q, hits: [{ corpusId: 'a', score: Number.NaN }] }])).toThrow(
      /queries\[0\]\.hits\[0\]\.score is NaN/,
    );
  });
});

describe('per-query IR metrics by hand', () => {
  const ranked = ['d1', 'd2', 'd3', 'd4'];
  const rel = new Set(['d2', 'd4', 'd9']);

  it('accuracy, precision, recall and MRR at k', () => {
    expect(accuracyAtK(ranked, rel, 1)).toBe(0);
    expect(accuracyAtK(ranked, rel, 2)).toBe(1);
    expect(precisionAtK(ranked, rel, 4)).toBe(0.5);
    expect(precisionAtK(ranked, rel, 10)).toBe(0.2); // divides by k even with 4 hits
    expect(recallAtK(ranked, rel, 4)).toBeCloseTo(2 / 3, 15);
    expect(reciprocalRankAtK(ranked, rel, 1)).toBe(0);
    expect(reciprocalRankAtK(ranked, rel, 3)).toBe(0.5);
  });

  it('nDCG@k with binary gains and MAP@k divided by min(k, |rel|)', () => {
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAtK(ranked, rel, 4)).toBeCloseTo(dcg / idcg, 15);
    expect(averagePrecisionAtK(ranked, rel, 4)).toBeCloseTo((1 / 2 + 2 / 4) / 3, 15);
    expect(averagePrecisionAtK(ranked, rel, 2)).toBeCloseTo(1 / 2 / 2, 15);
  });

  it('sorts hits by descending score, ties by ascending id in code-point order', () => {
    const hits = [
      { corpusId: '9', score: 0.5 },
      { corpusId: '10', score: 0.5 },
      { corpusId: 'x', score: 0.9 },
    ];
    expect(sortHits(hits).map((h) => h.corpusId)).toEqual(['x', '10', '9']);
    expect(hits[0]?.corpusId).toBe('9'); // input untouched
    // U+1F600 (surrogate pair) sorts after U+FF5E in code points, before it in UTF-16 units.
    expect(compareCodePoints('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFF5E').toBe(true);
  });
});
