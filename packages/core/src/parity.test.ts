/**
 * Parity with the real sentence-transformers 6.2.0: tiny random BERT models saved by ST and
 * the embeddings ST computed for them (tools/parity/core/make_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { SentenceTransformer } from './sentence-transformer.js';
import { fixturesDir, maxAbsDiff } from './test-utils/paths.js';

interface Expected {
  texts: string[];
  max_seq_length: number;
  input_ids: number[][];
  single_batch: { lengths: number[]; hidden: number; token_embeddings_f32_b64: string[]; sentence_embeddings: number[][] };
  encode: { order: number[]; sentence_embeddings: number[][] };
  encode_normalize_embeddings?: { sentence_embeddings: number[][] };
  encode_truncate_dim_8?: { sentence_embeddings: number[][] };
  encode_truncate_dim_8_normalize?: { sentence_embeddings: number[][] };
  quantized?: Record<'int8' | 'uint8' | 'binary' | 'ubinary', { values: number[][] }>;
}

const MODELS = ['tiny-mean', 'tiny-cls-normalize', 'tiny-multi-dense', 'tiny-weightedmean-dense-identity', 'tiny-lasttoken', 'tiny-max-mean', 'tiny-mean-max-order', 'legacy-subfolder', 'plain-hf', 'vocab-only'];
const TOL = 1e-5;

function b64f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function expectRowsClose(actual: ArrayLike<number>[], expected: number[][], tol = TOL): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...expected.map((row, i) => maxAbsDiff(actual[i]!, row)));
  expect(worst).toBeLessThanOrEqual(tol);
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`parity with sentence-transformers 6.2 (${backend})`, () => {
    beforeAll(async () => {
      await initBackend({ backend });
    });

    // The cpu backend is pure JS: check it on a subset to keep the suite fast.
    const models = backend === 'wasm' ? MODELS : ['tiny-multi-dense', 'legacy-subfolder'];
    for (const name of models) {
      it(`${name}: token ids, token embeddings and sentence embeddings within ${TOL}`, async () => {
        const expected = JSON.parse(readFileSync(path.join(fixturesDir, 'models', `${name}.expected.json`), 'utf8')) as Expected;
        const before = tf.memory().numTensors;
        const model = await SentenceTransformer.load(path.join(fixturesDir, 'models', name));
        expect(model.maxSeqLength).toBe(expected.max_seq_length);

        // Token ids of each text, as ST's tokenize produced them.
        expected.texts.forEach((text, i) => {
          const b = model.tokenize([text]);
          expect(Array.from(b.inputIds), `ids of text ${i}`).toEqual(expected.input_ids[i]);
        });

        // One padded batch of every text through the model.
        const features = SentenceTransformer.toFeatures(model.tokenize(expected.texts));
        const out = model.forward(features);
        const tokens = (await out.tokenEmbeddings!.array()) as number[][][];
        const sentences = (await out.sentenceEmbedding!.array()) as number[][];
        tf.dispose([features.inputIds, features.attentionMask, features.tokenTypeIds!, out.tokenEmbeddings!, out.sentenceEmbedding!]);
        const H = expected.single_batch.hidden;
        let worstToken = 0;
        expected.single_batch.token_embeddings_f32_b64.forEach((b64, i) => {
          const want = b64f32(b64);
          const got = tokens[i]!.slice(0, expected.single_batch.lengths[i]).flat();
          expect(got.length).toBe(want.length);
          worstToken = Math.max(worstToken, maxAbsDiff(got, want));
          expect(want.length).toBe(expected.single_batch.lengths[i]! * H);
        });
        expect(worstToken).toBeLessThanOrEqual(TOL);
        expectRowsClose(sentences, expected.single_batch.sentence_embeddings);

        // encode(): ST's order-by-length batching, batch size 8.
        expectRowsClose(await model.encode(expected.texts, { batchSize: 8 }), expected.encode.sentence_embeddings);
        if (expected.encode_normalize_embeddings) {
          expectRowsClose(await model.encode(expected.texts, { batchSize: 8, normalize: true }), expected.encode_normalize_embeddings.sentence_embeddings);
        }
        if (expected.encode_truncate_dim_8) {
          expectRowsClose(await model.encode(expected.texts, { batchSize: 8, truncateDim: 8 }), expected.encode_truncate_dim_8.sentence_embeddings);
        }
        if (expected.encode_truncate_dim_8_normalize) {
          expectRowsClose(await model.encode(expected.texts, { batchSize: 8, truncateDim: 8, normalize: true }), expected.encode_truncate_dim_8_normalize.sentence_embeddings);
        }
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });
}

describe('quantization equals sentence-transformers quantize_embeddings', () => {
  it('int8, uint8, binary and ubinary on the tiny-mean embeddings', async () => {
    await initBackend({ backend: 'wasm' });
    const { quantizeEmbeddings } = await import('./quantization.js');
    const expected = JSON.parse(readFileSync(path.join(fixturesDir, 'models', 'tiny-mean.expected.json'), 'utf8')) as Expected;
    // Quantise ST's own float embeddings, so the check is of the quantisation alone.
    const floats = expected.encode.sentence_embeddings.map((r) => Float32Array.from(r));
    for (const p of ['int8', 'uint8', 'binary', 'ubinary'] as const) {
      const got = quantizeEmbeddings(floats, p).map((r) => Array.from(r));
      expect(got, p).toEqual(expected.quantized![p].values);
    }
  });
});

describe('Dense weights from a PyTorch .bin (sentence-transformers < 2.3 layout)', () => {
  it('tiny-multi-dense with 2_Dense/pytorch_model.bin gives the same embeddings', async () => {
    const { cpSync, rmSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    await initBackend({ backend: 'wasm' });
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'dense-bin-')), 'model');
    cpSync(path.join(fixturesDir, 'models', 'tiny-multi-dense'), dir, { recursive: true });
    rmSync(path.join(dir, '2_Dense', 'model.safetensors'));
    cpSync(path.join(fixturesDir, 'dense-bin', 'pytorch_model.bin'), path.join(dir, '2_Dense', 'pytorch_model.bin'));
    const expected = JSON.parse(readFileSync(path.join(fixturesDir, 'models', 'tiny-multi-dense.expected.json'), 'utf8')) as Expected;
    const model = await SentenceTransformer.load(dir);
    expectRowsClose(await model.encode(expected.texts, { batchSize: 8 }), expected.encode.sentence_embeddings);
    model.dispose();
  });
});
