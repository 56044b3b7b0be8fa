import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, SentenceTransformer, tf } from '@sbert/core';
import { CoSENTLoss, MultipleNegativesRankingLoss, SoftmaxLoss } from '@sbert/losses';
import { batchGradients, embedColumns } from './gradients.js';
import { maxAbsDiff, maxRelDiff } from '../test-utils/diff.js';
import { tinyVocab } from '../test-utils/paths.js';

const s1 = ['喜欢打篮球的男生喜欢什么样的女生', 'a man plays guitar', '今天天气很好', 'the cat sleeps on the sofa', '我想去北京旅游', 'two dogs run in the park', '怎么学习英语', 'she reads a book'];
const s2 = ['爱打篮球的男生喜欢什么样的女生', 'someone plays a guitar', '今天天气不错', 'a cat is sleeping', '北京有什么好玩的', 'dogs are running', '英语怎么学', 'a woman is reading'];


describe('gradient caching equals the plain path', () => {
  let model: SentenceTransformer;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    model = await SentenceTransformer.create({ tokenizer: tinyVocab, layers: 2, hidden: 32, heads: 4, intermediate: 64, maxSeqLength: 24, seed: 3 });
  });

  const cases = [
    ['CoSENTLoss', () => new CoSENTLoss(), () => ({ columns: [s1, s2], labels: tf.tensor1d([1, 0.2, 0.9, 0.5, 0, 0.7, 1, 0.3]) })],
    ['MultipleNegativesRankingLoss', () => new MultipleNegativesRankingLoss(), () => ({ columns: [s1, s2, [...s2].reverse()] })],
    ['SoftmaxLoss (loss weights too)', () => new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3 }), () => ({ columns: [s1, s2], labels: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32') })],
  ] as const;

  for (const [name, makeLoss, makeBatch] of cases) {
    it(`${name}: mini-batches of 3 give the full-batch gradients within 1e-5, with no leak`, () => {
      const loss = makeLoss();
      const batch = makeBatch();
      const before = tf.memory().numTensors;
      const plain = batchGradients(model, loss, batch, { training: false, seed: 1 });
      const cached = batchGradients(model, loss, batch, { training: false, seed: 1, miniBatchSize: 3 });
      expect(Math.abs(plain.loss - cached.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(plain.loss)));
      expect(plain.grads.size).toBeGreaterThan(30);
      expect(maxRelDiff(plain.grads, cached.grads)).toBeLessThan(1e-5);
      tf.dispose([...plain.grads.values(), ...cached.grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
      (batch as { labels?: tf.Tensor }).labels?.dispose();
      loss.dispose();
    });
  }

  it('embedColumns: one encoder pass gives each column the embeddings of its own pass, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const columns = [s1, s2, s2.slice().reverse()];
    const together = embedColumns(model, columns, { training: false });
    expect(together.map((t) => t.shape)).toEqual(columns.map((c) => [c.length, 32]));
    columns.forEach((texts, c) => {
      const alone = model.embed(texts, { training: false });
      expect(maxAbsDiff(alone.dataSync(), together[c]!.dataSync()), `column ${c}`).toBeLessThan(1e-5);
      alone.dispose();
    });
    tf.dispose(together);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with dropout on, a replay with the same seed reproduces the embeddings exactly', () => {
    const a = model.embed(s1.slice(0, 3), { training: true, dropoutSeed: 5 });
    const b = model.embed(s1.slice(0, 3), { training: true, dropoutSeed: 5 });
    const c = model.embed(s1.slice(0, 3), { training: true, dropoutSeed: 6 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    tf.dispose([a, b, c]);
  });
});
