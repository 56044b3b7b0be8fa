/**
 * @sbert/eval — metrics and evaluators with sentence-transformers' semantics.
 *
 * Metrics are pure functions over arrays; evaluators embed texts with anything that has
 * `encode()` and return metric records keyed like sentence-transformers
 * (e.g. `sts_dev_spearman_cosine`).
 */
export { pearson } from './metrics/pearson.js';
export { spearman, rankData } from './metrics/spearman.js';
export {
  findBestAccuracyAndThreshold,
  findBestF1AndThreshold,
  type AccuracyAndThreshold,
  type F1AndThreshold,
  type ThresholdOptions,
  type ThresholdSearch,
} from './metrics/threshold.js';
export { binaryMetricsAtThreshold, type BinaryMetricsAtThreshold } from './metrics/binary-metrics-at-threshold.js';
export { averagePrecision } from './metrics/average-precision.js';
export { matthewsCorrcoef, mccFromCounts } from './metrics/mcc.js';
export {
  computeInformationRetrievalMetrics,
  accuracyAtK,
  precisionAtK,
  recallAtK,
  reciprocalRankAtK,
  ndcgAtK,
  averagePrecisionAtK,
  sortHits,
  compareCodePoints,
  type RetrievalHit,
  type QueryJudgement,
  type InformationRetrievalKs,
  type InformationRetrievalMetrics,
} from './metrics/information-retrieval-metrics.js';
export {
  SentenceEvaluator,
  type SentenceEncoder,
  type EncodeOptions,
  type EvaluateOptions,
  type BaseEvaluatorOptions,
  type Metrics,
  type SimilarityFnName,
} from './evaluators/sentence-evaluator.js';
export {
  EmbeddingSimilarityEvaluator,
  type EmbeddingSimilarityEvaluatorOptions,
} from './evaluators/embedding-similarity-evaluator.js';
export {
  BinaryClassificationEvaluator,
  type BinaryClassificationEvaluatorOptions,
} from './evaluators/binary-classification-evaluator.js';
export {
  InformationRetrievalEvaluator,
  type InformationRetrievalEvaluatorOptions,
  type ScoreFunction,
  type TextsById,
} from './evaluators/information-retrieval-evaluator.js';
export { TripletEvaluator, type TripletEvaluatorOptions } from './evaluators/triplet-evaluator.js';
