import { InputError } from '@sbert/core';
import { pythonMax } from '../internal/numeric.js';
import { pairwiseSimilarity, type SimilarityFnName } from '../internal/similarity.js';
import { checkFiniteArray, checkSameLength, describe } from '../internal/validate.js';
import { pearson } from '../metrics/pearson.js';
import { spearman } from '../metrics/spearman.js';
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

/** Options of {@link EmbeddingSimilarityEvaluator}; defaults as sentence-transformers. */
export interface EmbeddingSimilarityEvaluatorOptions extends BaseEvaluatorOptions {
  sentences1: string[];
  sentences2: string[];
  /** Gold similarity of each pair (any scale, e.g. STS 0–5). */
  scores: number[];
  /** Default 16. */
  batchSize?: number;
  /** The function whose Spearman is the primary metric. */
  mainSimilarity?: SimilarityFnName;
  /** Default: `[mainSimilarity]`, else the model's similarity at the first evaluate(). */
  similarityFnNames?: SimilarityFnName[];
}

/**
 * Correlation between gold scores and embedding similarities: sentence-transformers'
 * EmbeddingSimilarityEvaluator.
 *
 * Each column is embedded separately; per similarity function `fn` (cosine, dot, and the
 * NEGATED euclidean / manhattan distances, so that higher = more similar):
 * `pearson_fn = pearson(gold, sim)` and `spearman_fn = spearman(gold, sim)` (average ranks for
 * ties; NaN for constant input, as scipy). With several functions, `pearson_max` and
 * `spearman_max` are added (Python `max`, so NaN handling is order dependent as in ST).
 * Primary metric: `spearman_<mainSimilarity>`, else `spearman_max` with several functions,
 * else `spearman_<fn>` (e.g. `sts_dev_spearman_cosine`).
 *
 * Results are appended to `similarity_evaluation[_<name>]_results.csv` (columns epoch, steps,
 * `<fn>_pearson`, `<fn>_spearman`). Not supported: ST's `precision` (quantised embeddings).
 *
 * @example
 * const ev = new EmbeddingSimilarityEvaluator({ sentences1, sentences2, scores, name: 'sts_dev' });
 * const metrics = await ev.evaluate(model); // { sts_dev_pearson_cosine: 0.84, sts_dev_spearman_cosine: 0.85 }
 * metrics[ev.primaryMetric!];
 */
export class EmbeddingSimilarityEvaluator extends SentenceEvaluator {
  readonly sentences1: string[];
  readonly sentences2: string[];
  readonly scores: number[];
  readonly batchSize: number;
  readonly mainSimilarity: SimilarityFnName | undefined;
  private similarityFnNames: SimilarityFnName[];

  constructor(options: EmbeddingSimilarityEvaluatorOptions) {
    super(options);
    const who = 'EmbeddingSimilarityEvaluator';
    const { sentences1, sentences2, scores, batchSize = 16, mainSimilarity, similarityFnNames } = options;
    checkTexts(who, 'sentences1', sentences1);
    checkTexts(who, 'sentences2', sentences2);
    checkFiniteArray(who, 'scores', scores);
    checkSameLength(who, 'sentences1', sentences1, 'sentences2', sentences2);
    checkSameLength(who, 'sentences1', sentences1, 'scores', scores);
    if (sentences1.length < 2) {
      throw new InputError(`${who}: got ${sentences1.length} pair(s); expected at least 2 for a correlation`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InputError(`${who}: batchSize is ${describe(batchSize)}; expected a positive integer`);
    }
    this.sentences1 = sentences1;
    this.sentences2 = sentences2;
    this.scores = scores;
    this.batchSize = batchSize;
    this.mainSimilarity =
      mainSimilarity === undefined ? undefined : checkSimilarityFnNames(who, 'mainSimilarity', [mainSimilarity])[0];
    this.similarityFnNames = checkSimilarityFnNames(who, 'similarityFnNames', similarityFnNames ?? []);
    if (this.similarityFnNames.length === 0 && this.mainSimilarity) this.similarityFnNames = [this.mainSimilarity];
    if (this.mainSimilarity && !this.similarityFnNames.includes(this.mainSimilarity)) {
      throw new InputError(
        `${who}: mainSimilarity is '${this.mainSimilarity}' but similarityFnNames is [${this.similarityFnNames.join(', ')}]; expected it among them`,
      );
    }
    if (this.similarityFnNames.length > 0) this.primaryMetricBase = this.choosePrimary();
  }

  private choosePrimary(): string {
    if (this.mainSimilarity) return `spearman_${this.mainSimilarity}`;
    return this.similarityFnNames.length > 1 ? 'spearman_max' : `spearman_${this.similarityFnNames[0]}`;
  }

  override async evaluate(model: SentenceEncoder, options: EvaluateOptions = {}): Promise<Metrics> {
    const emb1 = await this.embed(model, this.sentences1, this.batchSize, 'sentences1');
    const emb2 = await this.embed(model, this.sentences2, this.batchSize, 'sentences2');
    if (this.similarityFnNames.length === 0) {
      // As in sentence-transformers, the first model evaluated fixes the function list.
      this.similarityFnNames = [modelSimilarityFnName('EmbeddingSimilarityEvaluator', model)];
    }
    const metrics: Metrics = {};
    const csvValues: number[] = [];
    for (const fn of this.similarityFnNames) {
      const sim = pairwiseSimilarity(fn, emb1, emb2);
      metrics[`pearson_${fn}`] = pearson(this.scores, sim);
      metrics[`spearman_${fn}`] = spearman(this.scores, sim);
      csvValues.push(metrics[`pearson_${fn}`] as number, metrics[`spearman_${fn}`] as number);
    }
    if (this.similarityFnNames.length > 1) {
      metrics.pearson_max = pythonMax(this.similarityFnNames.map((fn) => metrics[`pearson_${fn}`] as number));
      metrics.spearman_max = pythonMax(this.similarityFnNames.map((fn) => metrics[`spearman_${fn}`] as number));
    }
    this.primaryMetricBase = this.choosePrimary();
    const prefixed = this.prefixMetrics(metrics);
    await this.writeResults(options, `similarity_evaluation${this.fileSuffix}`, this.csvHeaders, csvValues, prefixed);
    return prefixed;
  }

  /** The CSV columns, as sentence-transformers writes them. */
  get csvHeaders(): string[] {
    return ['epoch', 'steps', ...this.similarityFnNames.flatMap((fn) => [`${fn}_pearson`, `${fn}_spearman`])];
  }
}
