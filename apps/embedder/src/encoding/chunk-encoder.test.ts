import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sbert/core';
import { tinyModel } from '../test-utils/helpers.js';
import { encodeInOrder, openEncoder, type ChunkEncoder } from './chunk-encoder.js';
import { deserializeError, serializeError } from './encode-settings.js';
import { WorkerPool } from './worker-pool.js';

/** Finishes chunks in a scrambled order: each chunk's delay depends on its first text. */
function scrambledEncoder(parallelism: number): ChunkEncoder & { maxInFlight: number } {
  let inFlight = 0;
  const enc = {
    dimension: 1,
    backend: 'fake',
    parallelism,
    similarityFnName: 'cosine' as const,
    maxInFlight: 0,
    async encode(texts: readonly string[]): Promise<Float32Array> {
      inFlight++;
      enc.maxInFlight = Math.max(enc.maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, (Number(texts[0]) * 7) % 13));
      inFlight--;
      return Float32Array.from(texts.map(Number));
    },
    async close() {},
  };
  return enc;
}

async function* chunksOf(n: number, size: number): AsyncGenerator<number[]> {
  for (let i = 0; i < n; i += size) yield Array.from({ length: Math.min(size, n - i) }, (_, k) => i + k);
}

describe('encodeInOrder', () => {
  it('yields chunks in input order whatever order they finish in, with a bounded window', async () => {
    const enc = scrambledEncoder(3);
    const seen: number[] = [];
    for await (const { chunk, embeddings } of encodeInOrder(chunksOf(50, 4), (c) => c.map(String), enc)) {
      expect(Array.from(embeddings)).toEqual(chunk);
      seen.push(...chunk);
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(enc.maxInFlight).toBeLessThanOrEqual(6);
    expect(enc.maxInFlight).toBeGreaterThan(1);
  });

  it('surfaces a failed chunk when its turn comes, without unhandled rejections', async () => {
    const failing: ChunkEncoder = { ...scrambledEncoder(2), encode: async (t) => (t[0] === '8' ? Promise.reject(new Error('chunk 8 failed')) : Float32Array.from(t.map(Number))) };
    const seen: number[] = [];
    await expect((async () => {
      for await (const { chunk } of encodeInOrder(chunksOf(20, 4), (c) => c.map(String), failing)) seen.push(...chunk);
    })()).rejects.toThrow('chunk 8 failed');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('WorkerPool', () => {
  it('reports a worker that cannot load the model as the error the model loader threw', async () => {
    const err = await openEncoder({ modelDir: '/nonexistent/model', backend: 'wasm', batchSize: 32, normalize: false }, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('/nonexistent/model: model directory not found');
  });

  it('encodes chunks in parallel workers and matches the main-thread encoder', async () => {
    const settings = { modelDir: tinyModel, backend: 'wasm' as const, batchSize: 8, normalize: true, truncateDim: 16 };
    const pool = await WorkerPool.open(settings, 2);
    const local = await openEncoder(settings, 1);
    try {
      expect([pool.dimension, pool.backend, pool.parallelism, pool.similarityFnName]).toEqual([16, 'wasm', 2, 'cosine']);
      const chunks = [['a man eats', 'the cat'], ['red car', 'x', 'a guitar plays music loudly']];
      const fromPool = await Promise.all(chunks.map((c) => pool.encode(c)));
      for (const [i, c] of chunks.entries()) expect(fromPool[i]).toEqual(await local.encode(c));
    } finally {
      await pool.close();
      await local.close();
    }
  });

  it('errors survive the trip across the thread boundary', () => {
    const e = deserializeError(serializeError(new ConfigError('bad', { file: 'f' })));
    expect(e).toBeInstanceOf(ConfigError);
    expect([e.message, (e as ConfigError).file]).toEqual(['bad', 'f']);
  });
});
