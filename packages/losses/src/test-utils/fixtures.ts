/**
 * Reads the golden fixtures written by tools/parity/losses/make_fixtures.py (real
 * sentence-transformers 6.2.0 + torch autograd, float64) and builds the matching losses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '@sbert/core';
import {
  AnglELoss,
  ContrastiveLoss,
  CoSENTLoss,
  CosineSimilarityLoss,
  MarginMSELoss,
  MatryoshkaLoss,
  MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss,
  OnlineContrastiveLoss,
  SoftmaxLoss,
  TripletLoss,
  type Loss,
} from '../index.js';

export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../tools/parity/fixtures/losses');

export interface FixtureCase {
  name: string;
  st_call: string;
  options: Record<string, unknown>;
  embeddings: number[][][];
  labels: number[] | number[][] | null;
  loss: number;
  grads: number[][][];
  classifier?: { weight: number[][]; bias: number[] };
  classifier_grads?: { weight: number[][]; bias: number[] };
  probabilities?: number[][];
}

export interface FixtureFile {
  generated_by: string;
  versions: Record<string, string>;
  cases: FixtureCase[];
}

export function loadFixture(stem: string): FixtureFile {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${stem}.json`), 'utf8')) as FixtureFile;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptions = any;

const FACTORIES: Record<string, (o: AnyOptions) => Loss> = {
  CoSENTLoss: (o) => new CoSENTLoss(o),
  AnglELoss: (o) => new AnglELoss(o),
  CosineSimilarityLoss: () => new CosineSimilarityLoss(),
  SoftmaxLoss: (o) => new SoftmaxLoss(o),
  MultipleNegativesRankingLoss: (o) => new MultipleNegativesRankingLoss(o),
  MultipleNegativesSymmetricRankingLoss: (o) => new MultipleNegativesSymmetricRankingLoss(o),
  MarginMSELoss: (o) => new MarginMSELoss(o),
  TripletLoss: (o) => new TripletLoss(o),
  ContrastiveLoss: (o) => new ContrastiveLoss(o),
  OnlineContrastiveLoss: (o) => new OnlineContrastiveLoss(o),
  MatryoshkaLoss: (o) => {
    const { inner, ...rest } = o as { inner: { loss: string; options: AnyOptions } };
    return new MatryoshkaLoss(makeLoss(inner.loss, inner.options), rest as AnyOptions);
  },
};

export function makeLoss(className: string, options: AnyOptions): Loss {
  const factory = FACTORIES[className];
  if (!factory) throw new Error(`no factory for ${className}`);
  return factory(options);
}

/** The loss for a fixture case (class name = first path segment of the case name). */
export function lossForCase(c: FixtureCase): Loss {
  const className = c.name.split('/')[0]!;
  const options = c.classifier ? { ...c.options, classifier: c.classifier } : c.options;
  return makeLoss(className, options);
}

export function labelsForCase(c: FixtureCase): tf.Tensor | undefined {
  if (c.labels === null) return undefined;
  const dtype = c.name.startsWith('SoftmaxLoss') ? 'int32' : 'float32';
  return tf.tensor(c.labels, undefined, dtype);
}

/** Largest value of |a − b| / (|b| + floor) over the arrays (flattened). */
export function worstRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a)) return Infinity;
    worst = Math.max(worst, Math.abs(a - e) / (Math.abs(e) + floor));
  }
  return worst;
}
