import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, SentenceTransformer, tf } from '@sbert/core';
import { CoSENTLoss, MultipleNegativesRankingLoss, SoftmaxLoss } from '@sbert/losses';
import { batchGradients } from './gradients.js';
import { DataParallel, splitRows } from './data-parallel.js';
import { AdamW } from './adamw.js';
import { maxAbsDiff, maxRelDiff } from '../test-utils/diff.js';
import { tinyVocab } from '../test-utils/paths.js';

const s1 = ['喜欢打篮球的男生喜欢什么样的女生', 'a man plays guitar', '今天天气很好', 'the cat sleeps on the sofa', '我想去北京旅游', 'two dogs run in the park', '怎么学习英语'];
const s2 = ['爱打篮球的男生喜欢什么样的女生', 'someone plays a guitar', '今天天气不错', 'a cat is sleeping', '北京有什么好玩的', 'dogs are running', '英语怎么学'];



describe('splitRows', () => {
  it('covers every row once, in order, on at most n workers', () => {
    expect(splitRows(7, 2)).toEqual([[0, 3], [3, 7]]);
    expect(splitRows(1, 2)).toEqual([[0, 1]]);
    expect(splitRows(9, 3)).toEqual([[0, 3], [3, 6], [6, 9]]);
  });
});

describe('DataParallel gives the single-threaded gradients', () => {
  let model: SentenceTransformer;
  let dp: DataParallel;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    model = await SentenceTransformer.create({ tokenizer: tinyVocab, layers: 2, hidden: 32, heads: 4, intermediate: 64, maxSeqLength: 24, seed: 3 });
    dp = await DataParallel.open(model, { workers: 2, backend: 'wasm' });
  });
  afterAll(async () => {
    await dp.close();
    model.dispose();
  });

  const cases = [
    ['CoSENTLoss', () => new CoSENTLoss(), () => ({ columns: [s1, s2], labels: tf.tensor1d([1, 0.2, 0.9, 0.5, 0, 0.7, 1]) })],
    ['MultipleNegativesRankingLoss', () => new MultipleNegativesRankingLoss(), () => ({ columns: [s1, s2, [...s2].reverse()] })],
    ['SoftmaxLoss (loss weights too)', () => new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3 }), () => ({ columns: [s1, s2], labels: tf.tensor1d([0, 1, 2, 0, 1, 2, 0], 'int32') })],
  ] as const;

  for (const [name, makeLoss, makeBatch] of cases) {
    it(`${name}: two workers give the one-graph loss and gradients within 1e-5, with no leak`, async () => {
      const loss = makeLoss();
      const batch = makeBatch();
      const before = tf.memory().numTensors;
      const plain = batchGradients(model, loss, batch, { training: false, seed: 1 });
      const parallel = await dp.batchGradients(loss, batch, { training: false, seed: 1 });
      expect(Math.abs(plain.loss - parallel.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(plain.loss)));
      expect(plain.grads.size).toBeGreaterThan(30);
      expect(maxRelDiff(plain.grads, parallel.grads)).toBeLessThan(1e-5);
      tf.dispose([...plain.grads.values(), ...parallel.grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
      (batch as { labels?: tf.Tensor }).labels?.dispose();
      loss.dispose();
    });
  }

  it('gradient caching in the workers (miniBatchSize) gives the one-graph gradients', async () => {
    for (const [name, makeLoss, makeBatch] of cases) {
      const loss = makeLoss();
      const batch = makeBatch();
      const before = tf.memory().numTensors;
      const plain = batchGradients(model, loss, batch, { training: false, seed: 1 });
      const cached = await dp.batchGradients(loss, batch, { training: false, seed: 1, miniBatchSize: 2 });
      expect(Math.abs(plain.loss - cached.loss), name).toBeLessThan(1e-5 * Math.max(1, Math.abs(plain.loss)));
      expect(maxRelDiff(plain.grads, cached.grads), name).toBeLessThan(1e-5);
      tf.dispose([...plain.grads.values(), ...cached.grads.values()]);
      expect(tf.memory().numTensors, name).toBe(before);
      (batch as { labels?: tf.Tensor }).labels?.dispose();
      loss.dispose();
    }
  });

  it('follows the weights after an optimizer step', async () => {
    const loss = new CoSENTLoss();
    const labels = tf.tensor1d([1, 0.2, 0.9, 0.5, 0, 0.7, 1]);
    const opt = new AdamW(model.trainableWeights(), { lr: 1e-2 });
    const first = await dp.batchGradients(loss, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    opt.apply(first.grads);
    dp.weightsChanged();
    tf.dispose([...first.grads.values()]);
    const plain = batchGradients(model, loss, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    const parallel = await dp.batchGradients(loss, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    expect(Math.abs(plain.loss - first.loss)).toBeGreaterThan(1e-4);
    expect(Math.abs(plain.loss - parallel.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(plain.loss)));
    expect(maxRelDiff(plain.grads, parallel.grads)).toBeLessThan(1e-5);
    tf.dispose([...plain.grads.values(), ...parallel.grads.values(), labels]);
    opt.dispose();
  });

  it('follows the weights shared through AdamW onUpdated (no full copy), over two steps', async () => {
    const loss = new CoSENTLoss();
    const labels = tf.tensor1d([1, 0.2, 0.9, 0.5, 0, 0.7, 1]);
    const opt = new AdamW(model.trainableWeights(), { lr: 1e-2 });
    const hook = { onUpdated: (name: string, values: Float32Array) => dp.weightUpdated(name, values) };
    for (let step = 0; step < 2; step++) {
      const g = await dp.batchGradients(loss, { columns: [s1, s2], labels }, { training: false, seed: 1 });
      opt.apply(g.grads, { maxGradNorm: 1, ...hook });
      tf.dispose([...g.grads.values()]);
    }
    const plain = batchGradients(model, loss, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    const parallel = await dp.batchGradients(loss, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    expect(Math.abs(plain.loss - parallel.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(plain.loss)));
    expect(maxRelDiff(plain.grads, parallel.grads)).toBeLessThan(1e-5);
    tf.dispose([...plain.grads.values(), ...parallel.grads.values(), labels]);
  });

  it('applyOptimizer (clipping + AdamW in the workers) gives the weights of AdamW.apply on the same gradients', async () => {
    // `twin` starts equal to `model` and steps with AdamW.apply on the gradients the pool sums
    // into tensors; `model` steps with applyOptimizer on the same gradients left in shared memory.
    // (Same gradients on both sides: Adam's first steps amplify tiny differences, e.g. of summation order.)
    const before = tf.memory().numTensors;
    const twin = await SentenceTransformer.create({ tokenizer: tinyVocab, layers: 2, hidden: 32, heads: 4, intermediate: 64, maxSeqLength: 24, seed: 3 });
    for (const [i, w] of twin.trainableWeights().entries()) w.variable.assign(model.trainableWeights()[i]!.variable);
    const lossA = new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3, seed: 9 });
    const lossB = new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3, seed: 9 });
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0], 'int32');
    const optA = new AdamW([...model.trainableWeights(), ...lossA.trainableWeights()], { lr: 5e-2 });
    const optB = new AdamW([...twin.trainableWeights(), ...lossB.trainableWeights()], { lr: 5e-2 });
    for (let step = 0; step < 3; step++) {
      // maxGradNorm 0.5 clips (the gradients' norm is above it), 10 does not, 0 takes the unclipped path.
      const maxGradNorm = [0.5, 10, 0][step]!;
      const summed = await dp.batchGradients(lossA, { columns: [s1, s2], labels }, { training: false, seed: 1 });
      const kept = await dp.batchGradients(lossA, { columns: [s1, s2], labels }, { training: false, seed: 1, keepModelGradients: true });
      expect(kept.loss).toBe(summed.loss);
      expect([...kept.grads.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
      const { gradNorm: normA } = await dp.applyOptimizer(optA, kept.grads, { maxGradNorm });
      const { gradNorm: normB } = optB.apply(summed.grads, { maxGradNorm });
      if (maxGradNorm > 0) expect(Math.abs(normA! - normB!) / normB!).toBeLessThan(1e-6);
      else expect(normA).toBeUndefined();
      if (step === 0) expect(normB!).toBeGreaterThan(0.5);
      tf.dispose([...kept.grads.values(), ...summed.grads.values()]);
    }
    const weightsA = [...model.trainableWeights(), ...lossA.trainableWeights()];
    const weightsB = [...twin.trainableWeights(), ...lossB.trainableWeights()];
    let worst = 0;
    weightsA.forEach((w, i) => (worst = Math.max(worst, maxAbsDiff(w.variable.dataSync(), weightsB[i]!.variable.dataSync()))));
    expect(worst).toBeLessThan(1e-6);
    const [stateA, stateB] = [optA.getState(), optB.getState()];
    expect(stateA.step).toBe(3);
    expect(maxAbsDiff(stateA.v['embeddings.word_embeddings.weight']!, stateB.v['embeddings.word_embeddings.weight']!)).toBeLessThan(1e-9);
    // The workers follow the new weights: their gradients equal the main thread's again.
    const plain = batchGradients(model, lossA, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    const parallel = await dp.batchGradients(lossA, { columns: [s1, s2], labels }, { training: false, seed: 1 });
    expect(maxRelDiff(plain.grads, parallel.grads)).toBeLessThan(1e-5);
    await expect(dp.applyOptimizer(optA, new Map())).rejects.toThrow(/needs the gradients of batchGradients/);
    tf.dispose([...plain.grads.values(), ...parallel.grads.values(), labels]);
    lossA.dispose();
    lossB.dispose();
    twin.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a batch smaller than the pool uses fewer workers', async () => {
    const loss = new MultipleNegativesRankingLoss();
    const plain = batchGradients(model, loss, { columns: [s1.slice(0, 1), s2.slice(0, 1)] }, { training: false, seed: 1 });
    const parallel = await dp.batchGradients(loss, { columns: [s1.slice(0, 1), s2.slice(0, 1)] }, { training: false, seed: 1 });
    expect(maxRelDiff(plain.grads, parallel.grads)).toBeLessThan(1e-5);
    tf.dispose([...plain.grads.values(), ...parallel.grads.values()]);
  });
});
