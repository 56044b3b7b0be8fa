import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, readSafetensors, tf } from '@sbert/core';
import { LossInputError, SoftmaxLoss } from './index.js';
import { TinyBagOfWordsModel } from './test-utils/tiny-model.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sbert-softmax-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A toy NLI set: 0 = entailment, 1 = neutral, 2 = contradiction.
const TRAIN: Array<[string, string, number]> = [
  ['a man plays guitar', 'a man plays music', 0],
  ['a man plays guitar', 'a man plays guitar on stage', 1],
  ['a man plays guitar', 'nobody plays anything', 2],
  ['two dogs run in a park', 'animals run outside', 0],
  ['two dogs run in a park', 'two dogs run to their owner', 1],
  ['two dogs run in a park', 'the dogs sleep at home', 2],
  ['a woman reads a book', 'a person reads', 0],
  ['a woman reads a book', 'a woman reads a novel for school', 1],
  ['a woman reads a book', 'the woman is asleep', 2],
];

describe('SoftmaxLoss', () => {
  it('has sentence-transformers defaults: [u, v, |u-v|], torch Linear init range', () => {
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, seed: 1 });
    expect(loss.toConfig()).toEqual({
      embedding_dimension: 4,
      num_labels: 3,
      concatenation_sent_rep: true,
      concatenation_sent_difference: true,
      concatenation_sent_multiplication: false,
    });
    expect(loss.weight.shape).toEqual([3, 12]);
    expect(loss.bias.shape).toEqual([3]);
    const bound = 1 / Math.sqrt(12);
    for (const v of [...loss.weight.dataSync(), ...loss.bias.dataSync()]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(loss.trainableWeights().map((w) => w.name)).toEqual(['classifier.weight', 'classifier.bias']);
    expect(loss.trainableWeights().every((w) => w.variable.trainable)).toBe(true);
    loss.dispose();
  });

  it('trains its classifier with the model, then predicts labels and probabilities after save -> load', async () => {
    const model = new TinyBagOfWordsModel(64, 8);
    const loss = new SoftmaxLoss({ embeddingDimension: 8, numLabels: 3, seed: 3 });
    const before = loss.weight.arraySync();
    const optimizer = tf.train.adam(0.05);
    const labels = tf.tensor1d(TRAIN.map((t) => t[2]), 'int32');
    const varList = [model.table, ...loss.trainableWeights().map((w) => w.variable)];
    const costs: number[] = [];
    for (let step = 0; step < 30; step++) {
      const cost = optimizer.minimize(
        () => loss.computeLossFromEmbeddings([model.encode(TRAIN.map((t) => t[0])), model.encode(TRAIN.map((t) => t[1]))], labels),
        true,
        varList,
      )!;
      costs.push(cost.dataSync()[0]!);
      cost.dispose();
    }
    expect(costs.at(-1)!).toBeLessThan(0.5 * costs[0]!);
    expect(loss.weight.arraySync()).not.toEqual(before); // the classifier was optimised

    const u = model.encode(TRAIN.map((t) => t[0]));
    const v = model.encode(TRAIN.map((t) => t[1]));
    const probs = loss.predict(u, v);
    expect(probs.shape).toEqual([TRAIN.length, 3]);
    for (const row of probs.arraySync()) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const predicted = loss.predictLabels(u, v);
    expect(predicted.dtype).toBe('int32');
    expect(Array.from(predicted.dataSync())).toEqual(TRAIN.map((t) => t[2])); // it fits its training set

    const dir = path.join(tmp, 'trained');
    await loss.save(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(loss.toConfig());
    const stored = await readSafetensors(path.join(dir, 'model.safetensors'));
    expect([...stored.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(stored.get('classifier.weight')!.shape).toEqual([3, 24]);

    const loaded = await SoftmaxLoss.load(dir);
    const probsAgain = loaded.predict(u, v);
    expect(probsAgain.arraySync()).toEqual(probs.arraySync());
    tf.dispose([u, v, probs, predicted, probsAgain, labels]);
    loaded.dispose();
    loss.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('exposes its classifier to tf.variableGrads', () => {
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 2, seed: 5 });
    const u = tf.randomNormal([3, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const v = tf.randomNormal([3, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.tensor1d([0, 1, 1], 'int32');
    const { value, grads } = tf.variableGrads(() => loss.computeLossFromEmbeddings([u, v], y), [loss.weight, loss.bias]);
    expect(Object.keys(grads).sort()).toEqual([loss.bias.name, loss.weight.name].sort());
    expect(grads[loss.weight.name]!.shape).toEqual([2, 12]);
    tf.dispose([value, ...Object.values(grads), u, v, y]);
    loss.dispose();
  });

  it('accepts class probabilities of shape (B, numLabels), equal to one-hot indices', () => {
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, seed: 9 });
    const u = tf.randomNormal([2, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    const v = tf.randomNormal([2, 4], 0, 1, 'float32', 4) as tf.Tensor2D;
    const idx = tf.tensor1d([2, 0], 'int32');
    const probs = tf.tensor2d([[0, 0, 1], [1, 0, 0]]);
    const a = loss.computeLossFromEmbeddings([u, v], idx);
    const b = loss.computeLossFromEmbeddings([u, v], probs);
    expect(b.dataSync()[0]).toBeCloseTo(a.dataSync()[0]!, 6);
    tf.dispose([u, v, idx, probs, a, b]);
    loss.dispose();
  });

  it('rejects labels out of range and embeddings of the wrong width, saying what it expects', () => {
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, seed: 1 });
    const u = tf.ones([2, 4]) as tf.Tensor2D;
    const narrow = tf.ones([2, 3]) as tf.Tensor2D;
    for (const [bad, got] of [
      [[0, 3], 'label 3 at row 1'],
      [[-1, 0], 'label -1 at row 0'],
      [[0.5, 1], 'label 0.5 at row 0'],
    ] as const) {
      const labels = tf.tensor1d([...bad]);
      let error: unknown;
      try {
        loss.computeLossFromEmbeddings([u, u], labels);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LossInputError);
      expect((error as LossInputError).code).toBe('E_LOSS_INPUT');
      expect((error as LossInputError).field).toBe('labels');
      expect((error as Error).message).toBe(
        `SoftmaxLoss expects 2 text columns ((sentence_A, sentence_B) pairs) and labels: one class index in [0, 2] per pair, shape [B] (or class probabilities, shape [B, 3]); got ${got}.`,
      );
      labels.dispose();
    }
    const y = tf.tensor1d([0, 1]);
    expect(() => loss.computeLossFromEmbeddings([narrow, narrow], y)).toThrow(/expects embeddings of width 4.*got width 3/);
    expect(() => loss.computeLossFromEmbeddings([u, u], tf.tensor1d([0, 1, 2]))).toThrow(/got 3 labels with shape \[3\] for a batch of 2/);
    tf.dispose([u, narrow, y]);
    loss.dispose();
  });

  it('rejects bad options and bad saved files with typed errors', async () => {
    expect(() => new SoftmaxLoss({ embeddingDimension: 0, numLabels: 3 })).toThrow(ConfigError);
    expect(() => new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, concatenationSentRep: false, concatenationSentDifference: false })).toThrow(
      /at least one of concatenationSentRep/,
    );
    expect(() => new SoftmaxLoss({ embeddingDimension: 4, numLabels: 2, classifier: { weight: [[1, 2]], bias: [0, 0] } })).toThrow(
      /classifier weight must be \[2, 12\]/,
    );
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, seed: 2 });
    const dir = path.join(tmp, 'mismatch');
    await loss.save(dir);
    loss.dispose();
    // The config now promises u*v too, so the weight no longer fits.
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, concatenation_sent_multiplication: true }));
    await expect(SoftmaxLoss.load(dir)).rejects.toThrow(CheckpointError);
    await expect(SoftmaxLoss.load(dir)).rejects.toThrow(/classifier.weight is \[3, 12\], expected \[3, 16\]/);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, num_labels: 'three' }));
    await expect(SoftmaxLoss.load(dir)).rejects.toThrow(/'num_labels' must be a positive integer/);
    await expect(SoftmaxLoss.load(path.join(tmp, 'nowhere'))).rejects.toThrow(ConfigError);
  });

  it('leaks no tensors: construct, predict, save, load, dispose', async () => {
    const before = tf.memory().numTensors;
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, seed: 1 });
    const u = tf.ones([2, 4]) as tf.Tensor2D;
    const p = loss.predict(u, u);
    const l = loss.predictLabels(u, u);
    tf.dispose([p, l]);
    await loss.save(path.join(tmp, 'leak'));
    const loaded = await SoftmaxLoss.load(path.join(tmp, 'leak'));
    loaded.dispose();
    loss.dispose();
    u.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
