/**
 * The encoder layers run on the real tokens only (TokenLayout). A padded batch must give, for
 * every sentence, the token embeddings and the weight gradients that the sentence gives alone
 * (no padding, so nothing is packed), for each architecture's forward pass.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend.js';
import { SentenceTransformer } from '../../sentence-transformer.js';
import { fixturesDir, maxAbsDiff, repoRoot } from '../../test-utils/paths.js';
import { tokenLayout } from './architecture.js';

const texts = ['a man is playing a guitar on the stage tonight', 'hi', 'the quick brown fox', '今天天气很好，我们去公园吧'];
const MODELS = {
  bert: path.join(fixturesDir, 'models', 'tiny-mean'),
  distilbert: path.join(repoRoot, 'tools/parity/fixtures/checkpoints/distilbert'),
  roberta: path.join(repoRoot, 'tools/parity/fixtures/checkpoints/roberta'),
  mpnet: path.join(repoRoot, 'tools/parity/fixtures/checkpoints/mpnet'),
};

describe('tokenLayout', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('maps real tokens to packed rows and padding to the zero row; no tensors without padding', () => {
    const mask = tf.tensor2d([[1, 1, 0], [1, 0, 0]], [2, 3], 'int32');
    const layout = tokenLayout(mask);
    expect(layout.n).toBe(3);
    expect(Array.from(layout.rows!.dataSync())).toEqual([0, 1, 3]);
    expect(Array.from(layout.slots!.dataSync())).toEqual([0, 1, 3, 2, 3, 3]);
    tf.dispose([mask, layout.rows!, layout.slots!]);
    // The host copy of the mask, when given, is what counts (toFeatures passes the tokenizer's).
    const ones = tf.ones([2, 3], 'int32') as tf.Tensor2D;
    const fromValues = tokenLayout(ones, new Int32Array([1, 1, 0, 1, 0, 0]));
    expect(Array.from(fromValues.rows!.dataSync())).toEqual([0, 1, 3]);
    tf.dispose([ones, fromValues.rows!, fromValues.slots!]);
    const full = tf.ones([2, 2], 'int32') as tf.Tensor2D;
    const before = tf.memory().numTensors;
    expect(tokenLayout(full)).toEqual({ B: 2, T: 2, n: 4 });
    expect(tf.memory().numTensors).toBe(before);
    full.dispose();
  });
});

describe('packed layers equal one sentence at a time', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  for (const [arch, dir] of Object.entries(MODELS)) {
    it(`${arch}: token embeddings and gradients of a padded batch`, async () => {
      const model = await SentenceTransformer.load(dir);
      const before = tf.memory().numTensors;
      const vars = model.trainableWeights().map((w) => w.variable);
      // A fixed linear function of the token embeddings, so each sentence's gradient adds up.
      const objective = (features: ReturnType<typeof SentenceTransformer.toFeatures>): tf.Scalar => {
        const tok = model.forward(features).tokenEmbeddings!;
        const mask = tf.cast(features.attentionMask, 'float32').expandDims(2);
        const weights = tf.range(1, tok.shape[2]! + 1).div(tok.shape[2]!).reshape([1, 1, -1]);
        return tok.mul(mask).mul(weights).sum() as tf.Scalar;
      };
      const batch = SentenceTransformer.toFeatures(model.tokenize(texts));
      const lengths = tf.tidy(() => Array.from(tf.sum(batch.attentionMask, 1).dataSync()));
      expect(new Set(lengths).size).toBeGreaterThan(1); // the batch has padding
      const batched = tf.variableGrads(() => objective(batch), vars);
      const tokens = tf.tidy(() => model.forward(batch).tokenEmbeddings!);
      // Without the host mask the encoder reads the tensor: the same result.
      const { attentionMaskValues, ...withoutHostMask } = batch;
      expect(attentionMaskValues).toBeDefined();
      const readBack = tf.tidy(() => model.forward(withoutHostMask).tokenEmbeddings!);
      expect(maxAbsDiff(tokens.dataSync(), readBack.dataSync())).toBe(0);
      readBack.dispose();
      const tokenRows = (await tokens.array()) as number[][][];
      const sum = new Map<string, Float32Array>();
      for (const [i, text] of texts.entries()) {
        const one = SentenceTransformer.toFeatures(model.tokenize([text]));
        const alone = tf.tidy(() => model.forward(one).tokenEmbeddings!);
        expect(maxAbsDiff(tokenRows[i]!.slice(0, lengths[i]!).flat(), alone.dataSync()), `tokens of text ${i}`).toBeLessThan(2e-5);
        const g = tf.variableGrads(() => objective(one), vars);
        for (const [name, t] of Object.entries(g.grads)) {
          const acc = sum.get(name) ?? new Float32Array(t.size);
          const d = t.dataSync();
          for (let k = 0; k < d.length; k++) acc[k]! += d[k]!;
          sum.set(name, acc);
        }
        tf.dispose([alone, g.value, ...Object.values(g.grads), ...Object.values(one).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
      }
      expect(Object.keys(batched.grads).sort()).toEqual([...sum.keys()].sort());
      let worst = 0;
      let largest = 0;
      for (const [name, t] of Object.entries(batched.grads)) {
        const d = t.dataSync();
        worst = Math.max(worst, maxAbsDiff(d, sum.get(name)!));
        largest = Math.max(largest, ...Array.from(d, Math.abs));
      }
      expect(largest).toBeGreaterThan(0.01);
      expect(worst / largest).toBeLessThan(1e-4);
      tf.dispose([tokens, batched.value, ...Object.values(batched.grads), ...Object.values(batch).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }
});
