/**
 * The real all-MiniLM-L6-v2 (fetched by tools/fetch-models.sh from its PyPI package): our
 * embeddings of 262 real sentences against sentence-transformers 6.2's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { SentenceTransformer } from './sentence-transformer.js';
import { cosine, fixturesDir, hasMiniLm, maxAbsDiff, miniLmDir } from './test-utils/paths.js';

interface MiniLmFixture {
  texts: string[];
  dim: number;
  count: number;
  embeddings_f32_b64: string;
}

// CI fetches the model first, so there a missing model is a failure, not a skip.
describe.skipIf(!hasMiniLm && !process.env['CI'])('all-MiniLM-L6-v2 parity with sentence-transformers (run `pnpm fetch-models` first)', () => {
  it('embeddings of 262 real sentences have cosine >= 0.99999 with Python, with no tensor leak', async () => {
    await initBackend({ backend: 'wasm' });
    const fixture = JSON.parse(readFileSync(path.join(fixturesDir, 'minilm-embeddings.json'), 'utf8')) as MiniLmFixture;
    const buf = Buffer.from(fixture.embeddings_f32_b64, 'base64');
    const expected = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(expected.length).toBe(fixture.count * fixture.dim);
    const before = tf.memory().numTensors;
    const model = await SentenceTransformer.load(miniLmDir);
    expect(model.maxSeqLength).toBe(256);
    const got = await model.encode(fixture.texts, { batchSize: 32 });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    let worstCos = 1;
    let worstAbs = 0;
    got.forEach((row, i) => {
      const want = expected.subarray(i * fixture.dim, (i + 1) * fixture.dim);
      worstCos = Math.min(worstCos, cosine(row, want));
      worstAbs = Math.max(worstAbs, maxAbsDiff(row, want));
    });
    expect(got).toHaveLength(262);
    expect(worstCos).toBeGreaterThanOrEqual(0.99999);
    expect(worstAbs).toBeLessThan(1e-5);
  }, 300_000);
});
