import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, tf } from '@sbert/core';
import { afterEach, describe, expect, it } from 'vitest';
import { expectMetrics, FakeEncoder, loadFixture, named } from '../test-utils/fixtures.js';
import { InformationRetrievalEvaluator, type InformationRetrievalEvaluatorOptions } from './information-retrieval-evaluator.js';

const fixture = loadFixture('evaluators.json');
const data = fixture.information_retrieval;

function options(config: any): InformationRetrievalEvaluatorOptions {
  const dups = Boolean(config.integer_embeddings);
  return {
    queries: data.queries,
    corpus: dups ? data.corpus_with_duplicates : data.corpus,
    relevantDocs: dups ? data.relevant_docs_with_duplicates : data.relevant_docs,
    name: config.name,
    corpusChunkSize: config.corpus_chunk_size,
    ...(config.score_functions ? { scoreFunctions: Object.fromEntries(config.score_functions.map((f: string) => [f, f])) } : {}),
    ...(config.main_score_function ? { mainScoreFunction: config.main_score_function } : {}),
    ...(config.mrr_at_k ? { mrrAtK: config.mrr_at_k } : {}),
    ...(config.ndcg_at_k ? { ndcgAtK: config.ndcg_at_k } : {}),
    ...(config.accuracy_at_k ? { accuracyAtK: config.accuracy_at_k } : {}),
    ...(config.precision_recall_at_k ? { precisionRecallAtK: config.precision_recall_at_k } : {}),
    ...(config.map_at_k ? { mapAtK: config.map_at_k } : {}),
  };
}

function modelFor(config: any): FakeEncoder {
  return new FakeEncoder(config.integer_embeddings ? fixture.integer_embeddings : fixture.embeddings);
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('InformationRetrievalEvaluator parity (MS MARCO triples head, fixed embeddings)', () => {
  // Metrics depend only on the ranking (no near-ties around relevant documents, checked by the
  // script; exact ties in the integer run break by corpus id in both), so they agree to rounding.
  it.each(named(data.runs, (r: any) => JSON.stringify(r.config)))('matches sentence-transformers: %s', async (_c, run: any) => {
    const ev = new InformationRetrievalEvaluator(options(run.config));
    expectMetrics(await ev.evaluate(modelFor(run.config)), run.metrics, () => 1e-12);
    expect(ev.primaryMetric).toBe(run.primary_metric);
    expect(ev.csvHeaders).toEqual(run.csv_headers);
  });

  it('gives the same metrics for every corpus chunk size and embeds at most one chunk at a time', async () => {
    const run = data.runs.find((r: any) => r.config.integer_embeddings);
    for (const corpusChunkSize of [1, 7, 1000]) {
      const model = modelFor(run.config);
      const ev = new InformationRetrievalEvaluator({ ...options(run.config), corpusChunkSize });
      expectMetrics(await ev.evaluate(model), run.metrics, () => 1e-12);
      // first call: the queries; then the corpus chunk by chunk
      expect(model.calls[0]?.texts).toHaveLength(ev.queries.length);
      expect(Math.max(...model.calls.slice(1).map((c) => c.texts.length))).toBeLessThanOrEqual(corpusChunkSize);
      expect(model.calls.slice(1).reduce((s, c) => s + c.texts.length, 0)).toBe(ev.corpus.length);
    }
  });

  it('leaves out queries without relevant documents and accepts Maps and custom score functions', async () => {
    const run = data.runs[0];
    const ev = new InformationRetrievalEvaluator({
      ...options(run.config),
      queries: new Map(data.queries),
      corpus: new Map(data.corpus),
      scoreFunctions: { cosine: 'cosine', dot: (q: Float32Array, d: Float32Array) => q.reduce((s, x, i) => s + x * (d[i] as number), 0) },
    });
    expect(ev.queryIds).not.toContain('q_none');
    expect(ev.queryIds).toHaveLength(100);
    expectMetrics(await ev.evaluate(new FakeEncoder(fixture.embeddings)), run.metrics, () => 1e-12);
  });

  it("follows each model's similarity when no score functions are given", async () => {
    const ev = new InformationRetrievalEvaluator(options({ name: '', corpus_chunk_size: 50000 }));
    await ev.evaluate(new FakeEncoder(fixture.embeddings, 'cosine'));
    expect(ev.primaryMetric).toBe('cosine_ndcg@10');
    const m = await ev.evaluate(new FakeEncoder(fixture.embeddings, 'dot'));
    expect(ev.primaryMetric).toBe('dot_ndcg@10');
    expect(Object.keys(m)[0]).toBe('dot_accuracy@1');
  });

  it('appends rows to Information-Retrieval_evaluation_<name>_results.csv with \\n line ends', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-ir-'));
    const run = data.runs[0];
    const ev = new InformationRetrievalEvaluator({ ...options(run.config), writeJson: true });
    const m = await ev.evaluate(new FakeEncoder(fixture.embeddings), { outputPath: dir, epoch: 2, steps: 3 });
    const lines = (await readFile(join(dir, run.csv_file), 'utf8')).split('\n');
    expect(lines[0]).toBe(run.csv_headers.join(','));
    const row = lines[1]?.split(',') ?? [];
    expect(row.slice(0, 2)).toEqual(['2', '3']);
    expect(Number(row[2])).toBe(m['msmarco_cosine_accuracy@1']);
    const json = JSON.parse((await readFile(join(dir, 'Information-Retrieval_evaluation_msmarco_results.jsonl'), 'utf8')).trim());
    expect(json.primary_metric).toBe('msmarco_cosine_ndcg@10');
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const before = tf.memory().numTensors;
    await new InformationRetrievalEvaluator(options(data.runs[0].config)).evaluate(new FakeEncoder(fixture.embeddings));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects invalid input with typed errors', async () => {
    const base = options(data.runs[0].config);
    expect(() => new InformationRetrievalEvaluator({ ...base, relevantDocs: {} })).toThrow(/no query has a relevant document/);
    expect(() => new InformationRetrievalEvaluator({ ...base, corpus: {} })).toThrow(/corpus is empty/);
    expect(() => new InformationRetrievalEvaluator({ ...base, corpus: [['a', 'x'], ['a', 'y']] })).toThrow(/corpus has the id "a" twice/);
    expect(() => new InformationRetrievalEvaluator({ ...base, corpusChunkSize: 0 })).toThrow(/corpusChunkSize is 0/);
    expect(() => new InformationRetrievalEvaluator({ ...base, ndcgAtK: [10, -1] })).toThrow(/ndcgAtK contains -1/);
    expect(() => new InformationRetrievalEvaluator({ ...base, scoreFunctions: { cos: 'cosinus' as 'cosine' } })).toThrow(InputError);
    expect(() => new InformationRetrievalEvaluator({ ...base, mainScoreFunction: 'manhattan' })).toThrow(/mainScoreFunction is "manhattan"/);
    const ev = new InformationRetrievalEvaluator({ ...base, scoreFunctions: { bad: () => Number.NaN } });
    await expect(ev.evaluate(new FakeEncoder(fixture.embeddings))).rejects.toThrow(/scoreFunctions\.bad returned NaN/);
  });
});
