import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, tf } from '@sbert/core';
import { afterEach, describe, expect, it } from 'vitest';
import { expectMetrics, FakeEncoder, loadFixture, named } from '../test-utils/fixtures.js';
import { BinaryClassificationEvaluator } from './binary-classification-evaluator.js';

const fixture = loadFixture('evaluators.json');
const data = fixture.binary_classification;

function options(config: any) {
  return {
    sentences1: data.sentences1,
    sentences2: data.sentences2,
    labels: data.labels,
    name: config.name,
    ...(config.similarity_fn_names ? { similarityFnNames: config.similarity_fn_names } : {}),
  };
}

/**
 * Thresholds: ST scores in float32, we in float64 → agree to ~1e-7 relative. Everything else
 * depends only on the order of the scores (no near-ties in this data, checked by the script),
 * so it agrees to rounding.
 */
const tolerance = (key: string) => (key.endsWith('threshold') ? 2e-6 : 1e-12);

/** The fake model of a run: integer vectors for the exact-ties runs, else the float32 ones. */
function modelFor(config: any): FakeEncoder {
  return new FakeEncoder(config.integer_embeddings ? fixture.integer_embeddings : fixture.embeddings);
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('BinaryClassificationEvaluator parity (LCQMC dev, fixed embeddings)', () => {
  it.each(named(data.runs, (r: any) => JSON.stringify(r.config)))('st5 (default) matches the specified search: %s', async (_c, run: any) => {
    const ev = new BinaryClassificationEvaluator(options(run.config));
    expectMetrics(await ev.evaluate(modelFor(run.config)), run.metrics_st5, tolerance);
    expect(ev.primaryMetric).toBe(run.primary_metric);
    expect(ev.csvHeaders).toEqual(run.csv_headers);
  });

  it.each(named(data.runs, (r: any) => JSON.stringify(r.config)))('st6 matches sentence-transformers 6.2: %s', async (_c, run: any) => {
    const ev = new BinaryClassificationEvaluator({ ...options(run.config), thresholdSearch: 'st6' });
    expectMetrics(await ev.evaluate(modelFor(run.config)), run.metrics_st6, tolerance);
  });

  it('the exact-ties run tells the two searches apart', () => {
    const run = data.runs.find((r: any) => r.config.integer_embeddings);
    expect(run.metrics_st5.lcqmc_ties_dot_accuracy).not.toBe(run.metrics_st6.lcqmc_ties_dot_accuracy);
  });

  it('embeds each distinct sentence once', async () => {
    const model = new FakeEncoder(fixture.embeddings);
    await new BinaryClassificationEvaluator(options({ name: '' })).evaluate(model);
    expect(model.calls).toHaveLength(1);
    const texts = model.calls[0]?.texts as string[];
    expect(new Set(texts).size).toBe(texts.length);
    expect(new Set(texts)).toEqual(new Set([...data.sentences1, ...data.sentences2]));
    expect(model.calls[0]?.options?.batchSize).toBe(32);
  });

  it('ranks distances the right way round: a perfect separation scores 1', async () => {
    // Similar pairs are 0.1 apart, dissimilar pairs 5 apart.
    const table = new Map<string, Float32Array>([
      ['a', Float32Array.from([0, 0])],
      ['a2', Float32Array.from([0.1, 0])],
      ['b', Float32Array.from([5, 0])],
      ['c', Float32Array.from([0, 3])],
      ['c2', Float32Array.from([0, 3.1])],
      ['d', Float32Array.from([0, -2])],
    ]);
    const ev = new BinaryClassificationEvaluator({
      sentences1: ['a', 'a', 'c', 'c'],
      sentences2: ['a2', 'b', 'c2', 'd'],
      labels: [1, 0, 1, 0],
      similarityFnNames: ['euclidean', 'manhattan'],
    });
    const m = await ev.evaluate(new FakeEncoder(table));
    for (const fn of ['euclidean', 'manhattan']) {
      expect(m[`${fn}_accuracy`]).toBe(1);
      expect(m[`${fn}_f1`]).toBe(1);
      expect(m[`${fn}_ap`]).toBe(1);
      expect(m[`${fn}_mcc`]).toBe(1);
    }
  });

  it('appends rows to binary_classification_evaluation_<name>_results.csv', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-bce-'));
    const run = data.runs[0];
    const ev = new BinaryClassificationEvaluator(options(run.config));
    const m = await ev.evaluate(new FakeEncoder(fixture.embeddings), { outputPath: dir, epoch: 0, steps: 5 });
    const lines = (await readFile(join(dir, run.csv_file), 'utf8')).split('\r\n');
    expect(lines[0]).toBe(run.csv_headers.join(','));
    const row = lines[1]?.split(',') ?? [];
    expect(row.slice(0, 2)).toEqual(['0', '5']);
    // CSV column order differs from the metric order: …, precision, recall, f1_threshold, ap, mcc.
    expect(Number(row[2])).toBe(m.lcqmc_dev_cosine_accuracy);
    expect(Number(row[7])).toBe(m.lcqmc_dev_cosine_f1_threshold);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const before = tf.memory().numTensors;
    await new BinaryClassificationEvaluator(options({ name: '' })).evaluate(new FakeEncoder(fixture.embeddings));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects invalid input with typed errors', () => {
    const base = options({ name: '' });
    expect(() => new BinaryClassificationEvaluator({ ...base, labels: base.labels.slice(1) })).toThrow(
      /sentences1 has length 200 but labels has length 199/,
    );
    expect(() => new BinaryClassificationEvaluator({ ...base, labels: base.labels.map((l: number) => l * 2) })).toThrow(
      /labels\[\d+\] is 2; expected 0 or 1/,
    );
    expect(() => new BinaryClassificationEvaluator({ sentences1: [], sentences2: [], labels: [] })).toThrow(/labels is empty/);
    expect(() => new BinaryClassificationEvaluator({ ...base, thresholdSearch: 'v7' as 'st5' })).toThrow(InputError);
    expect(() => new BinaryClassificationEvaluator({ ...base, batchSize: 0 })).toThrow(/batchSize is 0/);
  });
});
