import { InputError, tf } from '@sbert/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataCollator, type BatchTokenizer, type TokenizedBatch } from './collator.js';

/** A stand-in tokenizer: [CLS]=1, one id per character (its code point), [SEP]=2, padding 0. */
const fakeTokenizer: BatchTokenizer = {
  encodeBatch(texts: readonly string[]): TokenizedBatch {
    const rows = texts.map((t) => [1, ...[...t].map((c) => c.codePointAt(0)!), 2]);
    const seqLength = Math.max(...rows.map((r) => r.length));
    const inputIds = new Int32Array(texts.length * seqLength);
    const attentionMask = new Int32Array(texts.length * seqLength);
    const tokenTypeIds = new Int32Array(texts.length * seqLength);
    rows.forEach((r, i) => r.forEach((id, j) => {
      inputIds[i * seqLength + j] = id;
      attentionMask[i * seqLength + j] = 1;
    }));
    return { inputIds, attentionMask, tokenTypeIds, batchSize: texts.length, seqLength };
  },
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('DataCollator', () => {
  it('tokenizes each column separately, padded to the longest text of that column', () => {
    const before = tf.memory().numTensors;
    const batch = new DataCollator(fakeTokenizer).collate([
      { texts: ['ab', 'x'], label: 1 },
      { texts: ['c', 'yz'], label: 0 },
    ]);
    expect(batch.size).toBe(2);
    expect(batch.features).toHaveLength(2);
    const [a, b] = batch.features;
    expect(a!.inputIds.dtype).toBe('int32');
    expect(a!.inputIds.shape).toEqual([2, 4]);
    expect(a!.inputIds.arraySync()).toEqual([
      [1, 97, 98, 2],
      [1, 99, 2, 0],
    ]);
    expect(a!.attentionMask.arraySync()).toEqual([
      [1, 1, 1, 1],
      [1, 1, 1, 0],
    ]);
    expect(a!.tokenTypeIds.dtype).toBe('int32');
    expect(b!.inputIds.arraySync()).toEqual([
      [1, 120, 2, 0],
      [1, 121, 122, 2],
    ]);
    expect(batch.labels!.dtype).toBe('float32');
    expect(batch.labels!.shape).toEqual([2]);
    expect(batch.labels!.arraySync()).toEqual([1, 0]);
    expect(tf.memory().numTensors).toBe(before + 7);
    batch.dispose();
    batch.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(before);
  });

  it('vector labels (MarginMSE) become (B, K); int32 on request; no label → undefined', () => {
    const before = tf.memory().numTensors;
    const collator = new DataCollator(fakeTokenizer);
    const mse = collator.collate([
      { texts: ['q', 'p', 'n'], label: [9.5, 3.25] },
      { texts: ['q2', 'p2', 'n2'], label: [8, 1] },
    ]);
    expect(mse.features).toHaveLength(3);
    expect(mse.labels!.shape).toEqual([2, 2]);
    expect(mse.labels!.arraySync()).toEqual([
      [9.5, 3.25],
      [8, 1],
    ]);
    mse.dispose();
    const ints = new DataCollator(fakeTokenizer, { labelDtype: 'int32' }).collate([{ texts: ['a'], label: 2 }]);
    expect(ints.labels!.dtype).toBe('int32');
    ints.dispose();
    const none = collator.collate([{ texts: ['a', 'b'] }]);
    expect(none.labels).toBeUndefined();
    none.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects inconsistent batches without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const collator = new DataCollator(fakeTokenizer);
    expect(() => collator.collate([])).toThrow(InputError);
    expect(() => collator.collate([{ texts: ['a', 'b'] }, { texts: ['c'] }])).toThrow(
      'example 1 has 1 texts, example 0 has 2: all examples of a batch need the same columns',
    );
    expect(() => collator.collate([{ texts: ['a'], label: 1 }, { texts: ['b'] }])).toThrow(
      'example 1 has label undefined, but example 0\'s is a number: all labels of a batch need the same shape',
    );
    expect(() => collator.collate([{ texts: ['a'] }, { texts: ['b'], label: 1 }])).toThrow('example 1 has a label but example 0 has none');
    expect(() => collator.collate([{ texts: ['a'], label: [1, 2] }, { texts: ['b'], label: [1] }])).toThrow('all labels of a batch need the same shape');
    expect(() => new DataCollator(fakeTokenizer, { labelDtype: 'int32' }).collate([{ texts: ['a'], label: 0.5 }])).toThrow('is not an integer');
    const broken: BatchTokenizer = { encodeBatch: (t) => ({ ...fakeTokenizer.encodeBatch(t), batchSize: 99 }) };
    expect(() => new DataCollator(broken).collate([{ texts: ['a', 'b'], label: 1 }])).toThrow('tokenizer returned an inconsistent batch for column 0');
    expect(tf.memory().numTensors).toBe(before);
  });
});
