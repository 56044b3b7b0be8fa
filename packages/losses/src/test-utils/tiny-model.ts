/**
 * A very small sentence encoder for quick training tests on the cpu backend:
 * a trainable word-embedding table with mean pooling over the words of each text.
 */
import { tf } from '@sbert/core';

export class TinyBagOfWordsModel {
  readonly table: tf.Variable<tf.Rank.R2>; // (V, D)
  private readonly vocab = new Map<string, number>();

  constructor(readonly vocabSize: number, readonly dim: number, seed = 7) {
    this.table = tf.variable(tf.randomNormal([vocabSize, dim], 0, 1, 'float32', seed), true);
  }

  private ids(text: string): number[] {
    return text
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => {
        if (!this.vocab.has(w)) {
          if (this.vocab.size >= this.vocabSize) throw new Error('vocabulary full');
          this.vocab.set(w, this.vocab.size);
        }
        return this.vocab.get(w)!;
      });
  }

  /** Mean of the word vectors of each text: `(B, D)`. */
  encode(texts: string[]): tf.Tensor2D {
    return tf.tidy(() => tf.stack(texts.map((t) => tf.mean(tf.gather(this.table, this.ids(t)), 0))) as tf.Tensor2D);
  }

  dispose(): void {
    this.table.dispose();
  }
}
