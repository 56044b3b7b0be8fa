import { tf } from '@sbert/core';
import { BaseLoss } from '../index.js';

/** Hinge on the cosine: pairs labelled 1 are pulled above `margin`, pairs labelled 0 below 0. */
export class CosineHingeLoss extends BaseLoss {
  readonly name = 'CosineHingeLoss';
  readonly textColumns = 2;
  protected override readonly expects = { columns: '(a, b) pairs', labels: '1 (similar) or 0 per pair, shape [B]' };
  constructor(readonly margin = 0.8) { super(); }
  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    this.check(embeddings, labels); // throws LossInputError saying what is expected
    return tf.tidy(() => {
      const [a, b] = embeddings.map((x) => tf.div(x, tf.norm(x, 2, 1, true)));
      const cos = tf.sum(tf.mul(a!, b!), 1);
      const y = tf.reshape(tf.cast(labels!, 'float32'), [-1]);
      return tf.mean(tf.add(tf.mul(y, tf.relu(tf.sub(this.margin, cos))), tf.mul(tf.sub(1, y), tf.relu(cos))));
    });
  }
}
