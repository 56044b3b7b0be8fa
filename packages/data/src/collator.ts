import { InputError, tf } from '@sbert/core';
import type { InputExample } from './input-example.js';

/**
 * Token ids of a batch of texts, row-major `(B, T)`, padded to the longest text in the batch
 * (T = its length). `@sbert/core`'s tokenizer returns exactly this.
 */
export interface TokenizedBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLength: number;
}

/** Anything that tokenizes a batch of texts, padding to the longest (structural, so core's tokenizer fits). */
export interface BatchTokenizer {
  encodeBatch(texts: readonly string[]): TokenizedBatch;
}

/** The model inputs of one text column. */
export interface ColumnFeatures {
  /** (B, T) int32 */
  inputIds: tf.Tensor2D;
  /** (B, T) int32, 1 for real tokens, 0 for padding */
  attentionMask: tf.Tensor2D;
  /** (B, T) int32 */
  tokenTypeIds: tf.Tensor2D;
}

/** A collated batch. Owns its tensors: call `dispose()` when the step is done. */
export interface CollatedBatch {
  /** One entry per text column, in column order (the loss inputs). */
  features: ColumnFeatures[];
  /** (B) for scalar labels, (B, K) for vector labels (MarginMSE), undefined when the examples have none. */
  labels: tf.Tensor | undefined;
  /** B, the number of examples. */
  size: number;
  /** Frees every tensor of the batch (idempotent). */
  dispose(): void;
}

export interface DataCollatorOptions {
  /**
   * Label dtype: 'float32' (default; scores, margins, and class ids for losses that cast) or
   * 'int32' (class ids; every label must then be an integer).
   */
  labelDtype?: 'float32' | 'int32';
}

/**
 * Turns a list of {@link InputExample}s into model inputs, like sentence-transformers'
 * `SentenceTransformerDataCollator`: every text column is tokenized on its own and padded to
 * the longest text of that column in the batch; the labels become one tensor.
 *
 * All examples of a batch must have the same number of texts, and either all or none carry
 * a label (all scalars, or all vectors of one length).
 *
 * @example
 * const batch = new DataCollator(tokenizer).collate(examples);  // features[c].inputIds: (B, T_c)
 * try { ... } finally { batch.dispose(); }
 */
export class DataCollator {
  readonly labelDtype: 'float32' | 'int32';

  constructor(
    readonly tokenizer: BatchTokenizer,
    options: DataCollatorOptions = {},
  ) {
    if (tokenizer === null || typeof tokenizer !== 'object' || typeof tokenizer.encodeBatch !== 'function') {
      throw new InputError('tokenizer must have an encodeBatch(texts) method');
    }
    this.labelDtype = options.labelDtype ?? 'float32';
    if (this.labelDtype !== 'float32' && this.labelDtype !== 'int32') {
      throw new InputError(`labelDtype must be 'float32' or 'int32', got ${String(this.labelDtype)}`);
    }
  }

  collate(examples: readonly InputExample[]): CollatedBatch {
    if (!Array.isArray(examples) || examples.length === 0) throw new InputError('collate needs a non-empty array of examples');
    const size = examples.length;
    const numColumns = columnCount(examples);
    const labels = labelValues(examples, this.labelDtype);

    // Tokenize everything first (plain JS), so a failure leaves no tensor behind.
    const encoded: TokenizedBatch[] = [];
    for (let c = 0; c < numColumns; c++) {
      const texts = examples.map((e) => e.texts[c]!);
      const batch = this.tokenizer.encodeBatch(texts);
      checkTokenized(batch, size, c);
      encoded.push(batch);
    }

    const features = encoded.map(({ inputIds, attentionMask, tokenTypeIds, seqLength }) => ({
      inputIds: tf.tensor2d(inputIds, [size, seqLength], 'int32'),
      attentionMask: tf.tensor2d(attentionMask, [size, seqLength], 'int32'),
      tokenTypeIds: tf.tensor2d(tokenTypeIds, [size, seqLength], 'int32'),
    }));
    const labelTensor = labels === undefined ? undefined : tf.tensor(labels.values, labels.shape, this.labelDtype);
    let disposed = false;
    return {
      features,
      labels: labelTensor,
      size,
      dispose() {
        if (disposed) return;
        disposed = true;
        for (const f of features) tf.dispose([f.inputIds, f.attentionMask, f.tokenTypeIds]);
        if (labelTensor !== undefined) labelTensor.dispose();
      },
    };
  }
}

function columnCount(examples: readonly InputExample[]): number {
  const first = examples[0]!;
  if (!Array.isArray(first.texts) || first.texts.length === 0) throw new InputError('example 0 has no texts');
  const n = first.texts.length;
  examples.forEach((e, i) => {
    if (!Array.isArray(e.texts) || e.texts.length !== n) {
      throw new InputError(`example ${i} has ${Array.isArray(e.texts) ? e.texts.length : 'no'} texts, example 0 has ${n}: all examples of a batch need the same columns`);
    }
    e.texts.forEach((t, c) => {
      if (typeof t !== 'string') throw new InputError(`example ${i} text ${c} is ${typeof t}, expected a string`);
    });
  });
  return n;
}

function labelValues(
  examples: readonly InputExample[],
  dtype: 'float32' | 'int32',
): { values: Float32Array | Int32Array; shape: number[] } | undefined {
  const first = examples[0]!.label;
  if (first === undefined) {
    const i = examples.findIndex((e) => e.label !== undefined);
    if (i >= 0) throw new InputError(`example ${i} has a label but example 0 has none: label all examples of a batch or none`);
    return undefined;
  }
  const width = Array.isArray(first) ? first.length : 0; // 0 = scalar labels
  if (Array.isArray(first) && width === 0) throw new InputError('example 0 has an empty label vector');
  const size = examples.length;
  const values = dtype === 'int32' ? new Int32Array(size * Math.max(width, 1)) : new Float32Array(size * Math.max(width, 1));
  examples.forEach((e, i) => {
    const label = e.label;
    const vector = Array.isArray(label);
    if (label === undefined || vector !== width > 0 || (vector && label.length !== width)) {
      throw new InputError(
        `example ${i} has label ${JSON.stringify(label)}, but example 0's is ${width > 0 ? `a vector of ${width}` : 'a number'}: all labels of a batch need the same shape`,
      );
    }
    const items = vector ? label : [label];
    items.forEach((v, k) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`example ${i} label ${JSON.stringify(label)} is not a finite number`);
      if (dtype === 'int32' && !Number.isInteger(v)) throw new InputError(`example ${i} label ${v} is not an integer (labelDtype 'int32')`);
      values[i * Math.max(width, 1) + k] = v;
    });
  });
  return { values, shape: width > 0 ? [size, width] : [size] };
}

function checkTokenized(batch: TokenizedBatch, size: number, column: number): void {
  const { batchSize, seqLength } = batch;
  const ok =
    batchSize === size &&
    Number.isInteger(seqLength) &&
    seqLength >= 0 &&
    [batch.inputIds, batch.attentionMask, batch.tokenTypeIds].every((a) => a instanceof Int32Array && a.length === size * seqLength);
  if (!ok) {
    throw new InputError(
      `tokenizer returned an inconsistent batch for column ${column}: expected batchSize ${size} and three Int32Arrays of batchSize × seqLength, got batchSize ${batchSize}, seqLength ${seqLength}`,
    );
  }
}
