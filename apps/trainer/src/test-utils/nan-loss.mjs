// A user-written loss (plain ESM, as a user would ship it) that turns NaN from its third call on.
import { tf } from '@sbert/core';

export class NaNAfterTwoLoss {
  name = 'NaNAfterTwoLoss';
  textColumns = 2;
  calls = 0;
  computeLossFromEmbeddings([a, b]) {
    this.calls += 1;
    const bad = this.calls > 2;
    return tf.tidy(() => {
      const l = tf.mean(tf.square(tf.sub(a, b)));
      return bad ? l.mul(NaN) : l;
    });
  }
  trainableWeights() { return []; }
  toConfig() { return {}; }
  dispose() {}
}
