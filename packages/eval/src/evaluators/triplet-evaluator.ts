import { InputError } from '@sbert/core';
import { pythonMax } from '../internal/numeric.js';
import { SIMILARITY_FN_NAMES, pairwiseSimilarity, type SimilarityFnName } from '../internal/similarity.js';
import { checkSameLength, describe } from '../internal/validate.js';
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

/** Options of {@link TripletEvaluator}; defaults as sentence-transformers. */
export interface TripletEvaluatorOptions extends BaseEvaluatorOptions {
  anchors: string[];
  positives: string[];
  negatives: string[];
  /** The function whose accuracy is the primary metric. */
  mainSimilarityFunction?: SimilarityFnName;
  /** One margin for every function, or per function (missing ones are 0). Default 0. */
  margin?: number | Partial<Record<SimilarityFnName, number>>;
  /** Default 16. */
  batchSize?: number;
  /** Default: `[mainSimilarityFunction]`, else the model's similarity at the first evaluate(). */
  similarityFnNames?: SimilarityFnName[];
}

/**
 * How often the anchor is closer to its positive than to its negative: sentence-transformers'
 * TripletEvaluator.
 *
 * Per function `fn`: `<fn>_accuracy = mean(sim(a, p) > sim(a, n) + margin[fn])`, strict `>`,
 * where distances enter as negative similarities (so for euclidean the test is
 * `d(a, n) − d(a, p) > margin`). With several functions `max_accuracy` is added. Primary metric:
 * `<mainSimilarityFunction>_accuracy`, else `max_accuracy` with several functions, else
 * `<fn>_accuracy`. Results are appended to `triplet_evaluation[_<name>]_results.csv`.
 *
 * The accuracy is the exact ratio in float64; ST takes a float32 mean (a difference < 1e-7).
 *
 * @example
 * const ev = new TripletEvaluator({ anchors, positives, negatives, name: 'nli_dev' });
 * (await ev.evaluate(model)).nli_dev_cosine_accuracy; // 0.93
 */
export class TripletEvaluator extends SentenceEvaluator {
  readonly anchors: string[];
  readonly positives: string[];
  readonly negatives: string[];
  readonly batchSize: number;
  readonly mainSimilarityFunction: SimilarityFnName | undefined;
  readonly margin: Readonly<Record<SimilarityFnName, number>>;
  private similarityFnNames: SimilarityFnName[];

  constructor(options: TripletEvaluatorOptions) {
    super(options);
    const who = 'TripletEvaluator';
    const { anchors, positives, negatives, mainSimilarityFunction, margin, batchSize = 16, similarityFnNames } = options;
    checkTexts(who, 'anchors', anchors);
    checkTexts(who, 'positives', positives);
    checkTexts(who, 'negatives', negatives);
    checkSameLength(who, 'anchors', anchors, 'positives', positives);
    checkSameLength(who, 'anchors', anchors, 'negatives', negatives);
    if (anchors.length === 0) throw new InputError(`${who}: anchors is empty; expected at least one triplet`);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InputError(`${who}: batchSize is ${describe(batchSize)}; expected a positive integer`);
    }
    this.anchors = anchors;
    this.positives = positives;
    this.negatives = negatives;
    this.batchSize = batchSize;
    this.mainSimilarityFunction =
      mainSimilarityFunction === undefined
        ? undefined
        : checkSimilarityFnNames(who, 'mainSimilarityFunction', [mainSimilarityFunction])[0];
    this.similarityFnNames = checkSimilarityFnNames(who, 'similarityFnNames', similarityFnNames ?? []);
    if (this.similarityFnNames.length === 0 && this.mainSimilarityFunction) {
      this.similarityFnNames = [this.mainSimilarityFunction];
    }
    if (this.mainSimilarityFunction && !this.similarityFnNames.includes(this.mainSimilarityFunction)) {
      throw new InputError(
        `${who}: mainSimilarityFunction is '${this.mainSimilarityFunction}' but similarityFnNames is [${this.similarityFnNames.join(', ')}]; expected it among them`,
      );
    }
    this.margin = resolveMargin(who, margin);
    if (this.similarityFnNames.length > 0) this.primaryMetricBase = this.choosePrimary();
  }

  private choosePrimary(): string {
    if (this.mainSimilarityFunction) return `${this.mainSimilarityFunction}_accuracy`;
    return this.similarityFnNames.length > 1 ? 'max_accuracy' : `${this.similarityFnNames[0]}_accuracy`;
  }

  override async evaluate(model: SentenceEncoder, options: EvaluateOptions = {}): Promise<Metrics> {
    const a = await this.embed(model, this.anchors, this.batchSize, 'anchors');
    const p = await this.embed(model, this.positives, this.batchSize, 'positives');
    const n = await this.embed(model, this.negatives, this.batchSize, 'negatives');
    if (this.similarityFnNames.length === 0) {
      this.similarityFnNames = [modelSimilarityFnName('TripletEvaluator', model)];
    }
    const metrics: Metrics = {};
    for (const fn of this.similarityFnNames) {
      const pos = pairwiseSimilarity(fn, a, p);
      const neg = pairwiseSimilarity(fn, a, n);
      let correct = 0;
      for (let i = 0; i < pos.length; i++) if ((pos[i] as number) > (neg[i] as number) + this.margin[fn]) correct++;
      metrics[`${fn}_accuracy`] = correct / pos.length;
    }
    const csvValues = Object.values(metrics);
    if (this.similarityFnNames.length > 1) metrics.max_accuracy = pythonMax(csvValues);
    this.primaryMetricBase = this.choosePrimary();
    const prefixed = this.prefixMetrics(metrics);
    await this.writeResults(options, `triplet_evaluation${this.fileSuffix}`, this.csvHeaders, csvValues, prefixed);
    return prefixed;
  }

  /** The CSV columns, as sentence-transformers writes them. */
  get csvHeaders(): string[] {
    return ['epoch', 'steps', ...this.similarityFnNames.map((fn) => `accuracy_${fn}`)];
  }
}

function resolveMargin(
  who: string,
  margin: TripletEvaluatorOptions['margin'],
): Record<SimilarityFnName, number> {
  const out = { cosine: 0, dot: 0, euclidean: 0, manhattan: 0 };
  if (margin === undefined) return out;
  if (typeof margin === 'number') {
    if (!Number.isFinite(margin)) throw new InputError(`${who}: margin is ${describe(margin)}; expected a finite number`);
    for (const k of SIMILARITY_FN_NAMES) out[k] = margin;
    return out;
  }
  if (margin === null || typeof margin !== 'object') {
    throw new InputError(`${who}: margin is ${describe(margin)}; expected a number or an object keyed by ${SIMILARITY_FN_NAMES.join(', ')}`);
  }
  for (const [k, v] of Object.entries(margin)) {
    if (!SIMILARITY_FN_NAMES.includes(k as SimilarityFnName)) {
      throw new InputError(`${who}: margin has key ${describe(k)}; expected keys among ${SIMILARITY_FN_NAMES.join(', ')}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`${who}: margin.${k} is ${describe(v)}; expected a finite number`);
    }
    out[k as SimilarityFnName] = v;
  }
  return out;
}
