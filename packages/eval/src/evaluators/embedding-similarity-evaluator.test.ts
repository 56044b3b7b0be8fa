import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, tf } from '@sbert/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectMetrics, FakeEncoder, loadFixture, named } from '../test-utils/fixtures.js';
import { EmbeddingSimilarityEvaluator } from './embedding-similarity-evaluator.js';

const fixture = loadFixture('evaluators.json');
const data = fixture.embedding_similarity;

function options(config: any) {
  return {
    sentences1: data.sentences1,
    sentences2: data.sentences2,
    scores: data.scores,
    name: config.name,
    ...(config.similarity_fn_names ? { similarityFnNames: config.similarity_fn_names } : {}),
    ...(config.main_similarity ? { mainSimilarity: config.main_similarity } : {}),
    ...(config.truncate_dim ? { truncateDim: config.truncate_dim } : {}),
  };
}

/** The fake model of a run: integer vectors for the exact-ties runs, else the float32 ones. */
function modelFor(config: any): FakeEncoder {
  return new FakeEncoder(config.integer_embeddings ? fixture.integer_embeddings : fixture.embeddings);
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('EmbeddingSimilarityEvaluator parity (Chinese STS-B valid, fixed embeddings)', () => {
  // ST scores in float32 (torch), we in float64 from the same float32 vectors: correlations
  // agree to ~1e-8; 1e-6 leaves room without hiding a real difference.
  it.each(named(data.runs, (r: any) => JSON.stringify(r.config)))('matches sentence-transformers: %s', async (_c, run: any) => {
    const ev = new EmbeddingSimilarityEvaluator(options(run.config));
    const metrics = await ev.evaluate(modelFor(run.config));
    expectMetrics(metrics, run.metrics, () => 1e-6);
    expect(ev.primaryMetric).toBe(run.primary_metric);
    expect(ev.csvHeaders).toEqual(run.csv_headers);
  });

  it('knows the primary metric before evaluating when the functions are given', () => {
    const ev = new EmbeddingSimilarityEvaluator({ ...options({ name: 'sts_dev' }), similarityFnNames: ['cosine', 'dot'] });
    expect(ev.primaryMetric).toBe('sts_dev_spearman_max');
    expect(new EmbeddingSimilarityEvaluator(options({ name: 'x' })).primaryMetric).toBeUndefined();
  });

  it("uses the model's similarity when none is given", async () => {
    const ev = new EmbeddingSimilarityEvaluator(options({ name: '' }));
    const m = await ev.evaluate(new FakeEncoder(fixture.embeddings, 'manhattan'));
    expect(Object.keys(m)).toEqual(['pearson_manhattan', 'spearman_manhattan']);
    expect(ev.primaryMetric).toBe('spearman_manhattan');
  });

  it('passes batchSize, truncateDim and showProgress to encode', async () => {
    const model = new FakeEncoder(fixture.embeddings);
    await new EmbeddingSimilarityEvaluator({ ...options({ name: '' }), batchSize: 7, truncateDim: 5, showProgressBar: true }).evaluate(model);
    expect(model.calls).toHaveLength(2);
    expect(model.calls[0]?.options).toEqual({ batchSize: 7, truncateDim: 5, showProgress: true });
  });

  it('appends sentence-transformers-style CSV rows and JSON lines', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-ese-'));
    const run = data.runs[0];
    const ev = new EmbeddingSimilarityEvaluator({ ...options(run.config), writeJson: true });
    const model = new FakeEncoder(fixture.embeddings);
    const m = await ev.evaluate(model, { outputPath: dir, epoch: 1, steps: 10 });
    await ev.evaluate(model, { outputPath: dir });
    const csv = (await readFile(join(dir, run.csv_file), 'utf8')).split('\r\n');
    expect(csv[0]).toBe(run.csv_headers.join(','));
    expect(csv[1]?.startsWith('1,10,')).toBe(true);
    expect(csv[2]?.startsWith('-1,-1,')).toBe(true);
    expect(Number(csv[1]?.split(',')[2])).toBe(m.sts_dev_pearson_cosine);
    expect(csv).toHaveLength(4); // header, 2 rows, trailing ''
    const json = (await readFile(join(dir, 'similarity_evaluation_sts_dev_results.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(json[0] as string)).toEqual({ epoch: 1, steps: 10, primary_metric: 'sts_dev_spearman_max', metrics: m });
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const before = tf.memory().numTensors;
    await new EmbeddingSimilarityEvaluator(options({ name: 'x' })).evaluate(new FakeEncoder(fixture.embeddings));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns NaN correlations for constant gold scores, as scipy', async () => {
    const ev = new EmbeddingSimilarityEvaluator({ ...options({ name: '' }), scores: data.scores.map(() => 3) });
    const m = await ev.evaluate(new FakeEncoder(fixture.embeddings));
    expect(m.pearson_cosine).toBeNaN();
    expect(m.spearman_cosine).toBeNaN();
  });

  it('rejects invalid input with typed errors', async () => {
    const base = options({ name: '' });
    expect(() => new EmbeddingSimilarityEvaluator({ ...base, scores: base.scores.slice(1) })).toThrow(/sentences1 has length 150 but scores has length 149/);
    expect(() => new EmbeddingSimilarityEvaluator({ ...base, sentences2: base.sentences2.slice(1) })).toThrow(InputError);
    expect(() => new EmbeddingSimilarityEvaluator({ ...base, scores: [Number.NaN, ...base.scores.slice(1)] })).toThrow(/scores\[0\] is NaN/);
    expect(() => new EmbeddingSimilarityEvaluator({ sentences1: [], sentences2: [], scores: [] })).toThrow(InputError);
    expect(() => new EmbeddingSimilarityEvaluator({ ...base, similarityFnNames: ['cos' as 'cosine'] })).toThrow(
      /similarityFnNames contains "cos"; expected one of cosine, dot, euclidean, manhattan/,
    );
    expect(() => new EmbeddingSimilarityEvaluator({ ...base, similarityFnNames: ['dot'], mainSimilarity: 'cosine' })).toThrow(InputError);
    const short = { encode: async (t: string[]) => t.slice(1).map(() => new Float32Array(4)) };
    await expect(new EmbeddingSimilarityEvaluator(base).evaluate(short)).rejects.toThrow(/returned an array of length 149; expected 150 embeddings/);
    const nan = { encode: async (t: string[]) => t.map(() => Float32Array.from([1, Number.NaN])) };
    await expect(new EmbeddingSimilarityEvaluator(base).evaluate(nan)).rejects.toThrow(/\[0\]\[1\] is NaN; expected finite embeddings/);
  });
});
