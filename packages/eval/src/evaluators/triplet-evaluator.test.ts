import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, tf } from '@sbert/core';
import { afterEach, describe, expect, it } from 'vitest';
import { expectMetrics, FakeEncoder, loadFixture, named } from '../test-utils/fixtures.js';
import { TripletEvaluator } from './triplet-evaluator.js';

const fixture = loadFixture('evaluators.json');
const data = fixture.triplet;

function options(config: any) {
  return {
    anchors: data.anchors,
    positives: data.positives,
    negatives: data.negatives,
    name: config.name,
    ...(config.similarity_fn_names ? { similarityFnNames: config.similarity_fn_names } : {}),
    ...(config.margin !== undefined ? { margin: config.margin } : {}),
    ...(config.main_similarity_function ? { mainSimilarityFunction: config.main_similarity_function } : {}),
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

describe('TripletEvaluator parity (CNSD-SNLI triplets, fixed embeddings)', () => {
  it.each(named(data.runs, (r: any) => JSON.stringify(r.config)))('matches sentence-transformers: %s', async (_c, run: any) => {
    const ev = new TripletEvaluator(options(run.config));
    const m = await ev.evaluate(modelFor(run.config));
    // ST averages in float32 (.float().mean()): its value is the ratio rounded to float32.
    expectMetrics(m, run.metrics, () => 1e-7);
    // Counts are exact: correct / n with the float64 counts of the script.
    const n = data.anchors.length;
    for (const [fn, count] of Object.entries(run.counts_float64)) {
      expect(m[`${run.config.name ? `${run.config.name}_` : ''}${fn}_accuracy`]).toBe((count as number) / n);
    }
    expect(ev.primaryMetric).toBe(run.primary_metric);
    expect(ev.csvHeaders).toEqual(run.csv_headers);
  });

  it('uses a strict comparison and negative distances', async () => {
    const table = new Map<string, Float32Array>([
      ['a', Float32Array.from([0, 0])],
      ['near', Float32Array.from([1, 0])],
      ['far', Float32Array.from([3, 0])],
      ['same', Float32Array.from([1, 0])],
    ]);
    const make = (negatives: string[], margin?: number) =>
      new TripletEvaluator({ anchors: ['a'], positives: ['near'], negatives, similarityFnNames: ['euclidean'], margin });
    expect((await make(['far']).evaluate(new FakeEncoder(table))).euclidean_accuracy).toBe(1);
    expect((await make(['same']).evaluate(new FakeEncoder(table))).euclidean_accuracy).toBe(0); // tie is not a success
    expect((await make(['far'], 2).evaluate(new FakeEncoder(table))).euclidean_accuracy).toBe(0); // 3 − 1 > 2 is false
  });

  it('appends rows to triplet_evaluation_<name>_results.csv', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-trip-'));
    const run = data.runs[0];
    await new TripletEvaluator(options(run.config)).evaluate(new FakeEncoder(fixture.embeddings), { outputPath: dir });
    const lines = (await readFile(join(dir, run.csv_file), 'utf8')).split('\r\n');
    expect(lines[0]).toBe(run.csv_headers.join(','));
    expect(lines[1]?.split(',')).toHaveLength(run.csv_headers.length);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const before = tf.memory().numTensors;
    await new TripletEvaluator(options({ name: '' })).evaluate(new FakeEncoder(fixture.embeddings));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects invalid input with typed errors', () => {
    const base = options({ name: '' });
    expect(() => new TripletEvaluator({ ...base, negatives: base.negatives.slice(1) })).toThrow(
      /anchors has length 120 but negatives has length 119/,
    );
    expect(() => new TripletEvaluator({ anchors: [], positives: [], negatives: [] })).toThrow(/anchors is empty/);
    expect(() => new TripletEvaluator({ ...base, margin: { cosin: 0.1 } as never })).toThrow(/margin has key "cosin"/);
    expect(() => new TripletEvaluator({ ...base, margin: Number.NaN })).toThrow(InputError);
    expect(() => new TripletEvaluator({ ...base, anchors: [1, ...base.anchors.slice(1)] as never })).toThrow(/anchors\[0\] is 1; expected a string/);
  });
});
