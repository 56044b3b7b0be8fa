/**
 * Behaviour every loss shares: no tensor leaks (value and gradient), purity, stability at
 * scale 20 with identical / opposite / zero vectors and unordered batches, typed input errors
 * that say what the loss expects, and ST's defaults. Values against ST live in parity.test.ts;
 * here are a few hand-computed ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, tf } from '@sbert/core';
import {
  AnglELoss,
  ContrastiveLoss,
  CoSENTLoss,
  CosineSimilarityLoss,
  LossInputError,
  MarginMSELoss,
  MatryoshkaLoss,
  MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss,
  OnlineContrastiveLoss,
  SoftmaxLoss,
  TripletLoss,
  type Loss,
} from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const D = 6;

interface Spec {
  make: () => Loss;
  columns: number;
  /** Labels for a batch of B rows, or undefined if the loss takes none. */
  labels?: (B: number) => tf.Tensor;
  /** Too few columns (when the loss takes a range). */
  tooFew?: number;
  /** Too many columns (when the loss has a maximum). */
  tooMany?: number;
}

const scores = (B: number) => tf.tensor1d(Array.from({ length: B }, (_, i) => (i % 3) / 2));
const binary = (B: number) => tf.tensor1d(Array.from({ length: B }, (_, i) => i % 2));

const SPECS: Record<string, Spec> = {
  CoSENTLoss: { make: () => new CoSENTLoss(), columns: 2, labels: scores, tooFew: 1, tooMany: 3 },
  AnglELoss: { make: () => new AnglELoss(), columns: 2, labels: scores, tooFew: 1 },
  CosineSimilarityLoss: { make: () => new CosineSimilarityLoss(), columns: 2, labels: scores, tooFew: 1, tooMany: 3 },
  SoftmaxLoss: {
    make: () => new SoftmaxLoss({ embeddingDimension: D, numLabels: 3, seed: 1 }),
    columns: 2,
    labels: (B) => tf.tensor1d(Array.from({ length: B }, (_, i) => i % 3), 'int32'),
    tooFew: 1,
    tooMany: 3,
  },
  MultipleNegativesRankingLoss: { make: () => new MultipleNegativesRankingLoss(), columns: 3, tooFew: 1 },
  MultipleNegativesSymmetricRankingLoss: { make: () => new MultipleNegativesSymmetricRankingLoss(), columns: 2, tooFew: 1 },
  MarginMSELoss: { make: () => new MarginMSELoss(), columns: 4, labels: (B) => tf.randomNormal([B, 3], 0, 1, 'float32', 4), tooFew: 2 },
  TripletLoss: { make: () => new TripletLoss(), columns: 3, tooFew: 2, tooMany: 4 },
  'TripletLoss(manhattan)': { make: () => new TripletLoss({ distanceMetric: 'manhattan' }), columns: 3 },
  'TripletLoss(cosine)': { make: () => new TripletLoss({ distanceMetric: 'cosine' }), columns: 3 },
  ContrastiveLoss: { make: () => new ContrastiveLoss(), columns: 2, labels: binary, tooFew: 1, tooMany: 3 },
  'ContrastiveLoss(euclidean)': { make: () => new ContrastiveLoss({ distanceMetric: 'euclidean' }), columns: 2, labels: binary },
  OnlineContrastiveLoss: { make: () => new OnlineContrastiveLoss(), columns: 2, labels: binary, tooFew: 1, tooMany: 3 },
  'MatryoshkaLoss(CoSENTLoss)': { make: () => new MatryoshkaLoss(new CoSENTLoss(), { matryoshkaDims: [6, 4, 2] }), columns: 2, labels: scores, tooFew: 1 },
  'MatryoshkaLoss(MultipleNegativesRankingLoss)': {
    make: () => new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { matryoshkaDims: [6, 2] }),
    columns: 2,
  },
};

function randomColumns(n: number, B: number, seed = 0): tf.Tensor2D[] {
  return Array.from({ length: n }, (_, i) => tf.randomNormal([B, D], 0, 1, 'float32', seed * 100 + i) as tf.Tensor2D);
}

/** Columns whose rows are: identical to the anchor, opposite, zero, and an all-zero row. */
function degenerateColumns(n: number, B: number): tf.Tensor2D[] {
  return tf.tidy(() => {
    const anchor = tf.randomNormal([B, D], 0, 1, 'float32', 42) as tf.Tensor2D;
    const rows = (k: number) =>
      tf.stack(
        Array.from({ length: B }, (_, i) => {
          const a = tf.slice(anchor, [i, 0], [1, D]).reshape([D]);
          if (i === B - 1) return tf.zeros([D]); // every column zero in the last row
          const kind = (i + k) % 3;
          return kind === 0 ? a : kind === 1 ? tf.neg(a) : tf.zeros([D]);
        }),
      ) as tf.Tensor2D;
    const anchorWithZeroRow = tf.concat([tf.slice(anchor, [0, 0], [B - 1, D]), tf.zeros([1, D])]) as tf.Tensor2D;
    return [anchorWithZeroRow, ...Array.from({ length: n - 1 }, (_, k) => rows(k))];
  });
}

function valueAndGrads(loss: Loss, columns: tf.Tensor2D[], labels?: tf.Tensor) {
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => loss.computeLossFromEmbeddings(xs as tf.Tensor2D[], labels))(columns);
  const out = { value: value.dataSync()[0]!, grads: grads.map((g) => Array.from(g.dataSync())) };
  tf.dispose([value, ...grads]);
  return out;
}

for (const [name, spec] of Object.entries(SPECS)) {
  describe(name, () => {
    it('leaks no tensors and leaves its inputs intact (value and gradient)', () => {
      const loss = spec.make();
      const columns = randomColumns(spec.columns, 5, 1);
      const labels = spec.labels?.(5);
      const before = tf.memory().numTensors;
      const value = loss.computeLossFromEmbeddings(columns, labels);
      expect(value.rank).toBe(0);
      expect(tf.memory().numTensors).toBe(before + 1);
      value.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const { grads } = valueAndGrads(loss, columns, labels);
      expect(grads).toHaveLength(spec.columns);
      expect(tf.memory().numTensors).toBe(before);
      expect(columns.every((c) => !c.isDisposed) && !labels?.isDisposed).toBe(true);
      tf.dispose([...columns, ...(labels ? [labels] : [])]);
      loss.dispose();
    });

    it('is finite at scale 20 with identical, opposite and zero vectors', () => {
      const loss = spec.make();
      for (const B of [1, 2, 7]) {
        const columns = degenerateColumns(spec.columns, B);
        const labels = spec.labels?.(B);
        const { value, grads } = valueAndGrads(loss, columns, labels);
        expect(Number.isFinite(value), `loss at B=${B}`).toBe(true);
        expect(grads.flat().every(Number.isFinite), `gradients at B=${B}`).toBe(true);
        tf.dispose([...columns, ...(labels ? [labels] : [])]);
      }
      loss.dispose();
    });

    it('throws a LossInputError naming what it expects for a wrong number of columns', () => {
      const loss = spec.make();
      for (const n of [spec.tooFew, spec.tooMany]) {
        if (n === undefined) continue;
        const columns = randomColumns(n, 3);
        const labels = spec.labels?.(3);
        let error: unknown;
        try {
          loss.computeLossFromEmbeddings(columns, labels);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(LossInputError);
        expect((error as LossInputError).code).toBe('E_LOSS_INPUT');
        expect((error as Error).message).toMatch(new RegExp(`^${loss.name} expects .*text columns.*; got ${n} embedding matri`));
        tf.dispose([...columns, ...(labels ? [labels] : [])]);
      }
      loss.dispose();
    });

    it('throws a LossInputError for mis-shaped embeddings', () => {
      const loss = spec.make();
      const columns = randomColumns(spec.columns, 3);
      const short = tf.ones([2, D]) as tf.Tensor2D;
      const flat = tf.ones([3]) as unknown as tf.Tensor2D;
      const labels = spec.labels?.(3);
      expect(() => loss.computeLossFromEmbeddings([...columns.slice(0, -1), short], labels)).toThrow(/all columns must share B and D/);
      expect(() => loss.computeLossFromEmbeddings([flat, ...columns.slice(1)], labels)).toThrow(/a \(B, D\) matrix is needed/);
      tf.dispose([...columns, short, flat, ...(labels ? [labels] : [])]);
      loss.dispose();
    });

    if (spec.labels) {
      it('throws a LossInputError for missing or mis-shaped labels', () => {
        const loss = spec.make();
        const columns = randomColumns(spec.columns, 4);
        const wrong = tf.ones([7]);
        expect(() => loss.computeLossFromEmbeddings(columns)).toThrow(LossInputError);
        expect(() => loss.computeLossFromEmbeddings(columns)).toThrow(/expects .* and labels: .*; got no labels\.$/);
        expect(() => loss.computeLossFromEmbeddings(columns, wrong)).toThrow(/and labels: .*; got .*(\[7\]|7 labels)/);
        tf.dispose([...columns, wrong]);
        loss.dispose();
      });
    }
  });
}

describe('hand-computed values', () => {
  const m = (rows: number[][]) => tf.tensor2d(rows);

  it('CoSENT: log(1 + exp(20 (s_low − s_high))) for one ordered pair, 0 for none', () => {
    const a = m([[1, 0], [1, 0]]);
    const b = m([[1, 0], [0, 1]]); // cos = [1, 0]
    const wrongOrder = new CoSENTLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([0, 1]));
    const rightOrder = new CoSENTLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([1, 0]));
    const tie = new CoSENTLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([0.5, 0.5]));
    expect(wrongOrder.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(20)), 4);
    expect(rightOrder.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(-20)), 6); // 2e-9: below float32 resolution of 1 + x
    expect(tie.dataSync()[0]).toBe(0);
  });

  it('CoSENT with no ordered pair has exactly zero loss and gradient', () => {
    const cols = randomColumns(2, 5, 3);
    const { value, grads } = valueAndGrads(new CoSENTLoss(), cols, tf.fill([5], 0.3));
    expect(value).toBe(0);
    expect(grads.flat().every((g) => g === 0)).toBe(true);
  });

  it('Triplet uses positive distances: relu(d(a,p) − d(a,n) + 5)', () => {
    const a = m([[0, 0]]);
    const p = m([[3, 4]]); // d = 5 (manhattan 7)
    const n = m([[0, 1]]); // d = 1 (manhattan 1)
    expect(new TripletLoss().computeLossFromEmbeddings([a, p, n]).dataSync()[0]).toBeCloseTo(9, 5);
    expect(new TripletLoss({ distanceMetric: 'manhattan' }).computeLossFromEmbeddings([a, p, n]).dataSync()[0]).toBeCloseTo(11, 5);
    // A satisfied triplet costs nothing (the sign-inverted ST 5.x variant would give 9 here).
    expect(new TripletLoss().computeLossFromEmbeddings([a, n, p]).dataSync()[0]).toBe(1);
    expect(new TripletLoss({ tripletMargin: 1 }).computeLossFromEmbeddings([a, n, p]).dataSync()[0]).toBe(0);
  });

  it('MNRL: cross-entropy over scale · cos against in-batch candidates; labels are ignored', () => {
    const q = m([[1, 0], [0, 1]]);
    const p = m([[1, 0], [1, 1]]); // cos(q0,p) = [1, .7071], cos(q1,p) = [0, .7071]
    const c = Math.SQRT1_2;
    const expected = (Math.log(Math.exp(20) + Math.exp(20 * c)) - 20 + Math.log(1 + Math.exp(20 * c)) - 20 * c) / 2;
    const loss = new MultipleNegativesRankingLoss();
    expect(loss.computeLossFromEmbeddings([q, p]).dataSync()[0]).toBeCloseTo(expected, 4);
    expect(loss.computeLossFromEmbeddings([q, p], tf.tensor1d([5, 5])).dataSync()[0]).toBeCloseTo(expected, 4);
  });

  it('MarginMSE: raw teacher scores [pos, neg] equal margins pos − neg', () => {
    const [q, p, n] = randomColumns(3, 4, 9);
    const raw = tf.tensor2d([[5, 1], [2, 3], [0, 0], [4, -1]]);
    const margins = tf.tensor1d([4, -1, 0, 5]);
    const loss = new MarginMSELoss();
    const a = loss.computeLossFromEmbeddings([q!, p!, n!], raw).dataSync()[0]!;
    const b = loss.computeLossFromEmbeddings([q!, p!, n!], margins).dataSync()[0]!;
    expect(a).toBeCloseTo(b, 5);
    expect(() => loss.computeLossFromEmbeddings([q!, p!, n!], tf.ones([4, 3]))).toThrow(
      'MarginMSELoss expects at least 3 text columns ((query, positive, negative_1, ..., negative_k)) and labels: teacher margins of shape [B] (k = 1) or [B, k], or teacher scores [pos, neg_1, ..., neg_k] of shape [B, k+1]; got labels of shape [4, 3] for a batch of 4 with 1 negative column.',
    );
  });

  it('Contrastive: ½(y d² + (1 − y) relu(m − d)²) with cosine distance', () => {
    const a = m([[1, 0], [1, 0]]);
    const b = m([[0, 1], [1, 0.2]]); // d = 1 and 1 − 1/√1.04
    const d1 = 1 - 1 / Math.sqrt(1.04);
    const value = new ContrastiveLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([1, 0])).dataSync()[0]!;
    expect(value).toBeCloseTo((0.5 * 1 + 0.5 * (0.5 - d1) ** 2) / 2, 6);
  });
});

describe('defaults and options equal sentence-transformers', () => {
  it('reports ST config dicts', () => {
    expect(new CoSENTLoss().toConfig()).toEqual({ scale: 20, similarity_fct: 'pairwise_cos_sim' });
    expect(new AnglELoss().toConfig()).toEqual({ scale: 20, similarity_fct: 'pairwise_angle_sim' });
    expect(new MultipleNegativesRankingLoss().toConfig()).toEqual({
      scale: 20,
      similarity_fct: 'cos_sim',
      gather_across_devices: false,
      directions: ['query_to_doc'],
      partition_mode: 'joint',
      hardness_mode: null,
      hardness_strength: 0,
    });
    expect(new MultipleNegativesSymmetricRankingLoss().directions).toEqual(['query_to_doc', 'doc_to_query']);
    expect(new MarginMSELoss().toConfig()).toEqual({ similarity_fct: 'pairwise_dot_score' });
    expect(new TripletLoss().toConfig()).toEqual({ distance_metric: 'TripletDistanceMetric.EUCLIDEAN', triplet_margin: 5 });
    expect(new ContrastiveLoss().toConfig()).toEqual({ distance_metric: 'SiameseDistanceMetric.COSINE_DISTANCE', margin: 0.5, size_average: true });
    expect(new OnlineContrastiveLoss().toConfig()).toEqual({ distance_metric: 'SiameseDistanceMetric.COSINE_DISTANCE', margin: 0.5 });
  });

  it('rejects invalid options with a ConfigError naming the field and the valid values', () => {
    expect(() => new MultipleNegativesRankingLoss({ scale: 0 })).toThrow(ConfigError);
    expect(() => new MultipleNegativesRankingLoss({ directions: ['doc_to_query'] })).toThrow(/must include 'query_to_doc'/);
    expect(() => new MultipleNegativesRankingLoss({ directions: ['query_to_doc', 'query_to_query'], partitionMode: 'per_direction' })).toThrow(/use 'joint'/);
    expect(() => new CoSENTLoss({ similarityFct: 'cos' as never })).toThrow(/valid: pairwise_cos_sim, pairwise_dot_score, pairwise_angle_sim/);
    expect(() => new TripletLoss({ distanceMetric: 'l2' as never })).toThrow(/valid: euclidean, manhattan, cosine/);
    expect(() => new MatryoshkaLoss(new CoSENTLoss(), { matryoshkaDims: [] })).toThrow(/at least one dimension/);
    expect(() => new MatryoshkaLoss(new CoSENTLoss(), { matryoshkaDims: [4, 2], matryoshkaWeights: [1] })).toThrow(/one per dim/);
  });
});
