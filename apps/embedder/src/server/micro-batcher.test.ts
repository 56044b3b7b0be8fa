import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { MicroBatcher } from './micro-batcher.js';

/** A fake model: one row [text length, call number] per text, after a short async pause. */
function fakeEncoder(delayMs = 5): { encode: (texts: string[]) => Promise<Float32Array[]>; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    encode: async (texts) => {
      calls.push(texts);
      const call = calls.length;
      await new Promise((r) => setTimeout(r, delayMs));
      return texts.map((t) => Float32Array.from([t.length, call]));
    },
  };
}

describe('MicroBatcher', () => {
  it('encodes concurrent requests together and gives each its own rows in order', async () => {
    const fake = fakeEncoder();
    const batcher = new MicroBatcher(fake.encode, { maxBatchTexts: 64, maxWaitMs: 20 });
    const requests = [['a', 'bb'], ['ccc'], ['dddd', 'eeeee', 'ffffff']];
    const results = await Promise.all(requests.map((r) => batcher.submit(r)));
    expect(fake.calls).toEqual([['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff']]);
    expect(results.map((rows) => rows.map((r) => r[0]))).toEqual([[1, 2], [3], [4, 5, 6]]);
  });

  it('starts a batch as soon as maxBatchTexts texts wait, never splits a request', async () => {
    const fake = fakeEncoder();
    const batcher = new MicroBatcher(fake.encode, { maxBatchTexts: 4, maxWaitMs: 1000 });
    const started = Date.now();
    const results = await Promise.all([batcher.submit(['1', '2']), batcher.submit(['3', '4']), batcher.submit(['5', '6', '7']), batcher.submit(['8'])]);
    // Full batches go without waiting for the 1 s timer; the last request rides in the next batch.
    expect(fake.calls).toEqual([['1', '2', '3', '4'], ['5', '6', '7', '8']]);
    expect(Date.now() - started).toBeLessThan(900);
    expect(results.map((r) => r.map((x) => x[1]))).toEqual([[1, 1], [1, 1], [2, 2, 2], [2]]);
    // A request larger than the batch goes alone.
    await batcher.submit(Array.from({ length: 9 }, (_, i) => `${i}`));
    expect(fake.calls[2]).toHaveLength(9);
  });

  it('runs up to `concurrency` batches at once (one per worker)', async () => {
    let running = 0;
    let most = 0;
    const batcher = new MicroBatcher(async (texts: string[]) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return texts.map((t) => t.length);
    }, { maxBatchTexts: 2, maxWaitMs: 1, concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit(['a'.repeat(i), 'b'])));
    expect(results).toEqual(Array.from({ length: 8 }, (_, i) => [i, 1]));
    expect(most).toBe(2);
  });

  it('answers 503 beyond maxQueueTexts, fails every request of a failed batch, and drains', async () => {
    const fake = fakeEncoder(30);
    const batcher = new MicroBatcher(fake.encode, { maxBatchTexts: 2, maxWaitMs: 1, maxQueueTexts: 3 });
    const first = batcher.submit(['a', 'b']);
    const second = batcher.submit(['c', 'd', 'e']);
    const overloaded = await batcher.submit(['f']).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(ApiError);
    expect((overloaded as ApiError).toBody()).toEqual({ error: { message: 'the server is overloaded (3 texts waiting); retry later', type: 'server_error', param: null, code: 'overloaded' } });
    await Promise.all([first, second]);
    await batcher.drain();
    expect(batcher.queuedTexts).toBe(0);
    const failing = new MicroBatcher(async () => {
      throw new Error('model failed');
    }, { maxWaitMs: 5 });
    const outcomes = await Promise.allSettled([failing.submit(['x']), failing.submit(['y'])]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual(['model failed', 'model failed']);
    expect(await failing.submit([])).toEqual([]);
  });
});
