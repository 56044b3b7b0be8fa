import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { EncodePool } from './encode-pool.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { ConfigError, InputError } from '../errors.js';
import type { QuantizedRow } from '../quantization.js';
import { fixturesDir, maxAbsDiff } from '../test-utils/paths.js';

const modelDir = path.join(fixturesDir, 'models', 'tiny-mean');
const expected = JSON.parse(readFileSync(path.join(fixturesDir, 'models', 'tiny-mean.expected.json'), 'utf8')) as {
  texts: string[];
  encode: { batch_size: number; sentence_embeddings: number[][] };
};

describe('EncodePool', () => {
  let pool: EncodePool;
  let model: SentenceTransformer;
  beforeAll(async () => {
    pool = await EncodePool.open(modelDir, { workers: 2, backend: 'wasm' });
    model = await SentenceTransformer.load(modelDir, { backend: 'wasm' });
  });
  afterAll(async () => {
    await pool.close();
    model.dispose();
  });

  it('matches sentence-transformers encode() across two workers', async () => {
    expect(pool.workers).toBe(2);
    expect(pool.backend).toBe('wasm');
    const before = tf.memory().numTensors;
    // Small batches so that both workers get several.
    const rows = await pool.encode(expected.texts, { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows).toHaveLength(expected.texts.length);
    const worst = Math.max(...expected.encode.sentence_embeddings.map((e, i) => maxAbsDiff(rows[i]!, e)));
    expect(worst).toBeLessThan(1e-5);
  });

  it('gives the single-threaded encode() result for every option', async () => {
    const options = { batchSize: 4, normalize: true, truncateDim: 16, precision: 'int8' as const };
    const pooled = (await pool.encode(expected.texts, options)) as QuantizedRow[];
    const direct = (await model.encode(expected.texts, options)) as QuantizedRow[];
    expect(pooled.map((r) => Array.from(r))).toEqual(direct.map((r) => Array.from(r)));
    const one = await pool.encode(expected.texts[0]!);
    expect(maxAbsDiff(one, (await model.encode(expected.texts[0]!)))).toBeLessThan(1e-6);
    expect(await pool.encode([])).toEqual([]);
  });

  it('reports bad input and worker-side errors as typed errors, and stays usable', async () => {
    await expect(pool.encode([1 as unknown as string])).rejects.toThrow(InputError);
    await expect(pool.encode(['a'], { batchSize: 0 })).rejects.toThrow('batchSize must be a positive integer, got 0');
    await expect(pool.encode(['a'], { promptName: 'nope' })).rejects.toThrow(InputError);
    expect((await pool.encode(['still works'])).length).toBe(1);
  });

  it('fails to open on a missing model with the load error', async () => {
    await expect(EncodePool.open(path.join(fixturesDir, 'no-such-model'), { workers: 1, backend: 'cpu' })).rejects.toThrow(ConfigError);
  });
});
