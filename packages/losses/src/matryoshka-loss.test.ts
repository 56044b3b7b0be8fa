import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '@sbert/core';
import { BaseLoss, CoSENTLoss, LossInputError, MatryoshkaLoss, MultipleNegativesRankingLoss, type NamedWeight } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Records what the wrapped loss receives; its value is the sum of the first column. */
class RecordingLoss extends BaseLoss {
  readonly name = 'RecordingLoss';
  readonly textColumns = { min: 1 };
  readonly calls: Array<{ widths: number[]; norms: number[]; labelShape: number[] | null }> = [];
  readonly w = tf.variable(tf.zeros([1]));
  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    this.calls.push({
      widths: embeddings.map((e) => e.shape[1]),
      norms: Array.from(tf.tidy(() => tf.norm(embeddings[0]!, 2, 1)).dataSync()),
      labelShape: labels ? labels.shape : null,
    });
    return tf.tidy(() => tf.sum(embeddings[0]!));
  }
  override trainableWeights(): NamedWeight[] {
    return [{ name: 'w', variable: this.w }];
  }
  override dispose(): void {
    this.w.dispose();
  }
}

describe('MatryoshkaLoss', () => {
  it('sums weight · inner(normalize(E[:, :dim])) over the dims', () => {
    const [a, b] = [0, 1].map((s) => tf.randomNormal([5, 8], 0, 1, 'float32', s) as tf.Tensor2D);
    const labels = tf.tensor1d([0, 1, 0.5, 1, 0]);
    const inner = new CoSENTLoss();
    const loss = new MatryoshkaLoss(inner, { matryoshkaDims: [4, 8, 2], matryoshkaWeights: [0.5, 1, 2] });
    expect(loss.matryoshkaDims).toEqual([8, 4, 2]);
    expect(loss.matryoshkaWeights).toEqual([1, 0.5, 2]);
    const unit = (x: tf.Tensor2D, d: number) => tf.tidy(() => {
      const t = tf.slice(x, [0, 0], [5, d]);
      return tf.div(t, tf.norm(t, 2, 1, true)) as tf.Tensor2D;
    });
    let expected = 0;
    for (const [d, w] of [[8, 1], [4, 0.5], [2, 2]] as const) {
      const [ua, ub] = [unit(a!, d), unit(b!, d)];
      const v = inner.computeLossFromEmbeddings([ua, ub], labels);
      expected += w * v.dataSync()[0]!;
      tf.dispose([ua, ub, v]);
    }
    const value = loss.computeLossFromEmbeddings([a!, b!], labels);
    expect(value.dataSync()[0]).toBeCloseTo(expected, 4);
    tf.dispose([a!, b!, labels, value]);
  });

  it('normalises every truncation, the full width included (ST 6.2 shrink)', () => {
    const inner = new RecordingLoss();
    const loss = new MatryoshkaLoss(inner, { matryoshkaDims: [6, 3] });
    const x = tf.randomNormal([4, 6], 0, 3, 'float32', 2) as tf.Tensor2D;
    tf.dispose(loss.computeLossFromEmbeddings([x]));
    expect(inner.calls.map((c) => c.widths)).toEqual([[6], [3]]);
    for (const c of inner.calls) for (const n of c.norms) expect(n).toBeCloseTo(1, 5);
    x.dispose();
    loss.dispose();
  });

  it('samples nDimsPerStep dims per step, in descending-dim order', () => {
    const inner = new RecordingLoss();
    const draws = [0.99, 0.0];
    const loss = new MatryoshkaLoss(inner, { matryoshkaDims: [8, 4, 2, 1], nDimsPerStep: 2, random: () => draws.shift() ?? 0 });
    const x = tf.ones([2, 8]) as tf.Tensor2D;
    tf.dispose(loss.computeLossFromEmbeddings([x]));
    // Draw 0.99 picks index 3 (dim 1), then 0.0 picks index 1 (dim 4) from the rest.
    expect(inner.calls.map((c) => c.widths[0])).toEqual([4, 1]);
    x.dispose();
    loss.dispose();
  });

  it('truncates embedding-shaped labels (distillation targets) and passes others through', () => {
    const inner = new RecordingLoss();
    const loss = new MatryoshkaLoss(inner, { matryoshkaDims: [8, 4] });
    const x = tf.ones([2, 8]) as tf.Tensor2D;
    const teacher = tf.ones([2, 8]);
    const scores = tf.ones([2]);
    tf.dispose(loss.computeLossFromEmbeddings([x], teacher));
    tf.dispose(loss.computeLossFromEmbeddings([x], scores));
    expect(inner.calls.map((c) => c.labelShape)).toEqual([[2, 8], [2, 4], [2], [2]]);
    tf.dispose([x, teacher, scores]);
    loss.dispose();
  });

  it('delegates columns and trainable weights to the inner loss', () => {
    const inner = new RecordingLoss();
    const loss = new MatryoshkaLoss(inner, { matryoshkaDims: [2] });
    expect(loss.textColumns).toEqual({ min: 1 });
    expect(loss.trainableWeights()).toEqual(inner.trainableWeights());
    expect(new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { matryoshkaDims: [4] }).toConfig()).toEqual({
      loss: 'MultipleNegativesRankingLoss',
      matryoshka_dims: [4],
      matryoshka_weights: [1],
      n_dims_per_step: -1,
    });
    loss.dispose();
    expect(inner.w.isDisposed).toBe(true);
  });

  it('rejects embeddings narrower than a matryoshka dim', () => {
    const loss = new MatryoshkaLoss(new CoSENTLoss(), { matryoshkaDims: [16, 8] });
    const x = tf.ones([2, 8]) as tf.Tensor2D;
    const y = tf.ones([2]);
    expect(() => loss.computeLossFromEmbeddings([x, x], y)).toThrow(LossInputError);
    expect(() => loss.computeLossFromEmbeddings([x, x], y)).toThrow(/at least as wide as every matryoshkaDims entry \(16, 8\); got width 8/);
    tf.dispose([x, y]);
  });
});
