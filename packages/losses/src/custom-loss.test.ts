/**
 * Custom losses are first class: the README's user-written loss (kept verbatim in
 * test-utils/cosine-hinge-loss.ts) trains a tiny model, and bad input gets a typed error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, SentenceTransformer, tf } from '@sbert/core';
import { LossInputError, type Loss } from './index.js';
import { CosineHingeLoss } from './test-utils/cosine-hinge-loss.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tinyVocab = path.resolve(here, '../../../tools/parity/fixtures/core/tiny-vocab');

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const PAIRS: Array<[string, string, number]> = [
  ['a cat sits on the mat', 'a kitten rests on the rug', 1],
  ['the stock market fell', 'shares dropped sharply today', 1],
  ['he plays the guitar', 'she strums a guitar', 1],
  ['rain is expected tomorrow', 'showers forecast for tomorrow', 1],
  ['a cat sits on the mat', 'shares dropped sharply today', 0],
  ['the stock market fell', 'she strums a guitar', 0],
  ['he plays the guitar', 'showers forecast for tomorrow', 0],
  ['rain is expected tomorrow', 'a kitten rests on the rug', 0],
];

describe('a user-written loss (README example)', () => {
  it('is the code shown in the README, in under 20 lines', () => {
    const source = readFileSync(path.join(here, 'test-utils/cosine-hinge-loss.ts'), 'utf8');
    const readme = readFileSync(path.join(here, '../README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('class CosineHingeLoss'));
    expect(block).toBeDefined();
    // Same code; only the import path differs (the package name in the README).
    expect(block!.replace("from '@sbert/losses'", "from '../index.js'")).toBe(source);
    expect(block!.trimEnd().split('\n').length).toBeLessThan(20);
  });

  it('implements the exported Loss interface', () => {
    const loss: Loss = new CosineHingeLoss();
    expect(loss.name).toBe('CosineHingeLoss');
    expect(loss.trainableWeights()).toEqual([]);
  });

  it('trains a tiny BERT (@sbert/core): the loss falls within 20 Adam steps, without leaking tensors', async () => {
    const model = await SentenceTransformer.create({ tokenizer: tinyVocab, layers: 2, hidden: 32, heads: 4, intermediate: 64, maxSeqLength: 16, seed: 7 });
    // The pooler is not on the path to the sentence embedding.
    const weights = model.trainableWeights().filter((w) => !w.name.startsWith('pooler.')).map((w) => w.variable);
    const loss = new CosineHingeLoss();
    const optimizer = tf.train.adam(0.01);
    const labels = tf.tensor1d(PAIRS.map((p) => p[2]));
    const step = (): number => {
      const cost = optimizer.minimize(
        () => loss.computeLossFromEmbeddings([model.embed(PAIRS.map((p) => p[0])), model.embed(PAIRS.map((p) => p[1]))], labels),
        true,
        weights,
      )!;
      const value = cost.dataSync()[0]!;
      cost.dispose();
      return value;
    };
    const losses = [step()];
    const tensorsAfterFirstStep = tf.memory().numTensors; // Adam's slots exist from here on
    for (let i = 1; i < 20; i++) losses.push(step());
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[0]!).toBeGreaterThan(0.1);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('rejects wrong inputs with a LossInputError that says what it expects', () => {
    const loss = new CosineHingeLoss();
    const a = tf.ones([2, 4]) as tf.Tensor2D;
    expect(() => loss.computeLossFromEmbeddings([a], tf.ones([2]))).toThrow(LossInputError);
    expect(() => loss.computeLossFromEmbeddings([a], tf.ones([2]))).toThrow(
      'CosineHingeLoss expects 2 text columns ((a, b) pairs) and labels: 1 (similar) or 0 per pair, shape [B]; got 1 embedding matrix.',
    );
    expect(() => loss.computeLossFromEmbeddings([a, a])).toThrow(/got no labels/);
    a.dispose();
  });
});
