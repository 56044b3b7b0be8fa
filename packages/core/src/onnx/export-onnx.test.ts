/**
 * The ONNX export against sentence-transformers 6.2: every tiny model of
 * tools/parity/fixtures/core (every pooling mode, Dense with Tanh / Identity, Normalize, legacy
 * and plain layouts) and the DistilBERT / RoBERTa / XLM-R / MPNet / BERT checkpoints of
 * tools/parity/fixtures/checkpoints, exported and run through onnxruntime-node: token
 * embeddings (`last_hidden_state`) and encode() results within 1e-5 of Python's, and of the
 * TF.js path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { fixturesDir, maxAbsDiff, repoRoot } from '../test-utils/paths.js';
import { exportOnnxBuffer } from './export-onnx.js';
import { OnnxEncoder } from './onnx-session.js';


interface Expected {
  texts: string[];
  single_batch: { lengths: number[]; hidden: number; token_embeddings_f32_b64: string[] };
  encode: { sentence_embeddings: number[][] };
  encode_normalize_embeddings?: { sentence_embeddings: number[][] };
  encode_truncate_dim_8?: { sentence_embeddings: number[][] };
  encode_truncate_dim_8_normalize?: { sentence_embeddings: number[][] };
}

const TOL = 1e-5;
const CORE = path.join(fixturesDir, 'models');
const CHECKPOINTS = path.join(repoRoot, 'tools/parity/fixtures/checkpoints');
const CASES: [label: string, dir: string, expectedFile: string][] = [
  ...['tiny-mean', 'tiny-cls-normalize', 'tiny-multi-dense', 'tiny-weightedmean-dense-identity', 'tiny-lasttoken', 'tiny-max-mean', 'tiny-mean-max-order', 'legacy-subfolder', 'plain-hf', 'vocab-only'].map(
    (n): [string, string, string] => [n, path.join(CORE, n), path.join(CORE, `${n}.expected.json`)],
  ),
  ...['distilbert', 'roberta', 'xlm-roberta', 'mpnet'].map((n): [string, string, string] => [n, path.join(CHECKPOINTS, n), path.join(CHECKPOINTS, `${n}.expected.json`)]),
  ['bert (checkpoint)', path.join(CHECKPOINTS, 'bert-bin'), path.join(CHECKPOINTS, 'bert.expected.json')],
];

function b64f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function worst(actual: ArrayLike<number>[], want: ArrayLike<number>[]): number {
  expect(actual).toHaveLength(want.length);
  return Math.max(...want.map((row, i) => maxAbsDiff(actual[i]!, row)));
}

describe('ONNX export: parity with sentence-transformers 6.2 through onnxruntime', () => {
  const measured: string[] = [];
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => console.log(`max |Δ| (tokens vs Python, encode vs Python, encode vs TF.js):\n${measured.join('\n')}`));

  for (const [label, dir, expectedFile] of CASES) {
    it(`${label}: last_hidden_state and encode() within ${TOL} of Python and of TF.js`, async () => {
      const exp = JSON.parse(readFileSync(expectedFile, 'utf8')) as Expected;
      const tfjs = await SentenceTransformer.load(dir);
      const before = tf.memory().numTensors;

      // Token embeddings of one padded batch, read from the graph's last_hidden_state output.
      const session = await OnnxEncoder.create(exportOnnxBuffer(tfjs));
      expect(tf.memory().numTensors).toBe(before);
      const batch = tfjs.tokenize(exp.texts);
      const { data, dims } = await session.run(batch, 'last_hidden_state');
      await session.release();
      const [, T, H] = dims as [number, number, number];
      expect(H).toBe(exp.single_batch.hidden);
      let worstToken = 0;
      exp.single_batch.token_embeddings_f32_b64.forEach((b64, i) => {
        const want = b64f32(b64);
        const got = data.subarray(i * T * H, i * T * H + exp.single_batch.lengths[i]! * H);
        worstToken = Math.max(worstToken, maxAbsDiff(got, want));
      });
      expect(worstToken).toBeLessThanOrEqual(TOL);

      // encode() through load(dir, { backend: 'onnx' }) (no onnx/ folder: exported to memory).
      const onnx = await SentenceTransformer.load(dir, { backend: 'onnx' });
      expect(onnx.runtime).toBe('onnx');
      const afterLoad = tf.memory().numTensors;
      const got = await onnx.encode(exp.texts, { batchSize: 8 });
      const vsPython = worst(got, exp.encode.sentence_embeddings);
      const vsTfjs = worst(got, await tfjs.encode(exp.texts, { batchSize: 8 }));
      measured.push(`  ${label}: ${worstToken.toExponential(1)}, ${vsPython.toExponential(1)}, ${vsTfjs.toExponential(1)}`);
      expect(vsPython).toBeLessThanOrEqual(TOL);
      expect(vsTfjs).toBeLessThanOrEqual(TOL);
      const variants: [keyof Expected, { normalize?: boolean; truncateDim?: number }][] = [
        ['encode_normalize_embeddings', { normalize: true }],
        ['encode_truncate_dim_8', { truncateDim: 8 }],
        ['encode_truncate_dim_8_normalize', { truncateDim: 8, normalize: true }],
      ];
      for (const [key, options] of variants) {
        const want = exp[key] as { sentence_embeddings: number[][] } | undefined;
        if (want) expect(worst(await onnx.encode(exp.texts, { batchSize: 8, ...options }), want.sentence_embeddings), key).toBeLessThanOrEqual(TOL);
      }
      // No tensor is left behind by ONNX encode().
      expect(tf.memory().numTensors).toBe(afterLoad);
      onnx.dispose();
      tfjs.dispose();
    });
  }
});
