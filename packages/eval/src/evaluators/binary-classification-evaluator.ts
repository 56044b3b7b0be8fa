import { InputError } from '@sbert/core';
import { pythonMax } from '../internal/numeric.js';
import { cosine, dot, euclideanDistance, isDistance, manhattanDistance, type SimilarityFnName } from '../internal/similarity.js';
import { checkBinaryLabels, checkSameLength, describe } from '../internal/validate.js';
import { averagePrecision } from '../metrics/average-precision.js';
import { binaryMetricsAtThreshold } from '../metrics/binary-metrics-at-threshold.js';
import { findBestAccuracyAndThreshold, findBestF1AndThreshold, type ThresholdSearch } from '../metrics/threshold.js';
import {
  type BaseEvaluatorOptions,
  type EvaluateOptions,
  type Metrics,
  type SentenceEncoder,
  SentenceEvaluator,
  checkSimilarityFnNames,
  checkTexts,
  modelSimilarityFnName,
} from './sentence-evaluator.js';

/** Options of {@link BinaryClassificationEvaluator}; defaults as sentence-transformers. */
export interface BinaryClassificationEvaluatorOptions extends BaseEvaluatorOptions {
  sentences1: string[];
  sentences2: string[];
  /** 1 = the pair is similar / a duplicate, 0 = not. */
  labels: number[];
  /** Default 32. */
  batchSize?: number;
  /** Default: the model's similarity at the first evaluate(). */
  similarityFnNames?: SimilarityFnName[];
  /** Threshold-search variant, see {@link ThresholdSearch}. Default `'st5'`. */
  thresholdSearch?: ThresholdSearch;
}

const METRIC_ORDER = ['accuracy', 'accuracy_threshold', 'f1', 'f1_threshold', 'precision', 'recall', 'ap', 'mcc'] as const;
const CSV_ORDER = ['accuracy', 'accuracy_threshold', 'f1', 'precision', 'recall', 'f1_threshold', 'ap', 'mcc'] as const;
type BinaryMetric = (typeof METRIC_ORDER)[number];

/**
 * How well a similarity threshold separates similar from dissimilar pairs: sentence-transformers'
 * BinaryClassificationEvaluator.
 *
 * Unique sentences are embedded once. Per function `fn`, the pair scores are cosine or dot
 * similarities (higher = similar), or POSITIVE euclidean / manhattan distances ranked ascending
 * (lower = similar; ST v3.3–v5 inverted these, #3886, which is not copied). Then:
 * - `accuracy`, `accuracy_threshold`: {@link findBestAccuracyAndThreshold};
 * - `f1`, `precision`, `recall`, `f1_threshold`: {@link findBestF1AndThreshold};
 * - `ap`: {@link averagePrecision} of the scores (negated for distances);
 * - `mcc`: Matthews correlation of `score >= f1_threshold` (`<=` for distances).
 * Keys are `<fn>_<metric>`; with several functions `max_<metric>` is added for every metric
 * (thresholds included, as ST does). Primary metric: `<fn>_ap`, or `max_ap`.
 * Results are appended to `binary_classification_evaluation[_<name>]_results.csv`.
 *
 * Scores are computed in float64 from the float32 embeddings (ST computes them in float32), so
 * thresholds agree with ST to about 1e-7 relative, and counts agree unless two pairs score
 * within that of each other.
 *
 * @example
 * const ev = new BinaryClassificationEvaluator({ sentences1, sentences2, labels, name: 'lcqmc_dev' });
 * const m = await ev.evaluate(model); // { lcqmc_dev_cosine_accuracy: 0.81, …, lcqmc_dev_cosine_ap: 0.86, … }
 */
export class BinaryClassificationEvaluator extends SentenceEvaluator {
  readonly sentences1: string[];
  readonly sentences2: string[];
  readonly labels: number[];
  readonly batchSize: number;
  readonly thresholdSearch: ThresholdSearch;
  private similarityFnNames: SimilarityFnName[];

  constructor(options: BinaryClassificationEvaluatorOptions) {
    super(options);
    const who = 'BinaryClassificationEvaluator';
    const { sentences1, sentences2, labels, batchSize = 32, similarityFnNames, thresholdSearch = 'st5' } = options;
    checkTexts(who, 'sentences1', sentences1);
    checkTexts(who, 'sentences2', sentences2);
    checkBinaryLabels(who, 'labels', labels);
    checkSameLength(who, 'sentences1', sentences1, 'sentences2', sentences2);
    checkSameLength(who, 'sentences1', sentences1, 'labels', labels);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InputError(`${who}: batchSize is ${describe(batchSize)}; expected a positive integer`);
    }
    if (thresholdSearch !== 'st5' && thresholdSearch !== 'st6') {
      throw new InputError(`${who}: thresholdSearch is ${describe(thresholdSearch)}; expected 'st5' or 'st6'`);
    }
    this.sentences1 = sentences1;
    this.sentences2 = sentences2;
    this.labels = labels;
    this.batchSize = batchSize;
    this.thresholdSearch = thresholdSearch;
    this.similarityFnNames = checkSimilarityFnNames(who, 'similarityFnNames', similarityFnNames ?? []);
    if (this.similarityFnNames.length > 0) this.primaryMetricBase = this.choosePrimary();
  }

  private choosePrimary(): string {
    return this.similarityFnNames.length > 1 ? 'max_ap' : `${this.similarityFnNames[0]}_ap`;
  }

  override async evaluate(model: SentenceEncoder, options: EvaluateOptions = {}): Promise<Metrics> {
    // Embed each distinct sentence once, in first-occurrence order.
    const unique = [...new Set([...this.sentences1, ...this.sentences2])];
    const embeddings = await this.embed(model, unique, this.batchSize, 'unique sentences');
    const byText = new Map(unique.map((t, i) => [t, embeddings[i] as Float32Array]));
    const emb1 = this.sentences1.map((t) => byText.get(t) as Float32Array);
    const emb2 = this.sentences2.map((t) => byText.get(t) as Float32Array);
    if (this.similarityFnNames.length === 0) {
      this.similarityFnNames = [modelSimilarityFnName('BinaryClassificationEvaluator', model)];
    }

    const perFn = new Map<SimilarityFnName, Record<BinaryMetric, number>>();
    for (const fn of this.similarityFnNames) perFn.set(fn, this.scoreFunction(fn, emb1, emb2));

    const metrics: Metrics = {};
    for (const [fn, values] of perFn) for (const m of METRIC_ORDER) metrics[`${fn}_${m}`] = values[m];
    if (this.similarityFnNames.length > 1) {
      for (const m of METRIC_ORDER) metrics[`max_${m}`] = pythonMax([...perFn.values()].map((v) => v[m]));
    }
    this.primaryMetricBase = this.choosePrimary();
    const prefixed = this.prefixMetrics(metrics);
    const csvValues = this.similarityFnNames.flatMap((fn) => CSV_ORDER.map((m) => (perFn.get(fn) as Record<BinaryMetric, number>)[m]));
    await this.writeResults(options, `binary_classification_evaluation${this.fileSuffix}`, this.csvHeaders, csvValues, prefixed);
    return prefixed;
  }

  private scoreFunction(fn: SimilarityFnName, emb1: Float32Array[], emb2: Float32Array[]): Record<BinaryMetric, number> {
    const f = { cosine, dot, euclidean: euclideanDistance, manhattan: manhattanDistance }[fn];
    const scores = new Float64Array(emb1.length);
    for (let i = 0; i < emb1.length; i++) scores[i] = f(emb1[i] as Float32Array, emb2[i] as Float32Array);
    const greaterIsBetter = !isDistance(fn);
    const search = { greaterIsBetter, search: this.thresholdSearch };
    const acc = findBestAccuracyAndThreshold(scores, this.labels, search);
    const f1 = findBestF1AndThreshold(scores, this.labels, search);
    const ap = averagePrecision(greaterIsBetter ? scores : scores.map((s) => -s), this.labels);
    const { mcc } = binaryMetricsAtThreshold(scores, this.labels, f1.threshold, { greaterIsBetter });
    return {
      accuracy: acc.accuracy,
      accuracy_threshold: acc.threshold,
      f1: f1.f1,
      f1_threshold: f1.threshold,
      precision: f1.precision,
      recall: f1.recall,
      ap,
      mcc,
    };
  }

  /** The CSV columns, as sentence-transformers writes them. */
  get csvHeaders(): string[] {
    return ['epoch', 'steps', ...this.similarityFnNames.flatMap((fn) => CSV_ORDER.map((m) => `${fn}_${m}`))];
  }
}
