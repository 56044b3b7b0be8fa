/**
 * @sbert/losses: training objectives for Sentence-BERT models, equal to sentence-transformers'.
 * Each loss is a pure function of the per-column embeddings and the labels; see {@link Loss}.
 */
export {
  BaseLoss,
  checkEmbeddings,
  describeExpectation,
  labelError,
  rowLabels,
  type InputSpec,
  type Loss,
  type NamedWeight,
  type TextColumns,
} from './loss.js';
export { LossInputError } from './loss-input-error.js';
export type { MatrixSimilarityName, PairwiseSimilarityName } from './internal/similarity.js';

export { CoSENTLoss, type CoSENTLossOptions } from './cosent-loss.js';
export { AnglELoss, type AnglELossOptions } from './angle-loss.js';
export { CosineSimilarityLoss } from './cosine-similarity-loss.js';
export { SoftmaxLoss, type SoftmaxLossOptions } from './softmax-loss.js';
export {
  MultipleNegativesRankingLoss,
  type HardnessMode,
  type MultipleNegativesRankingLossOptions,
  type RankingDirection,
} from './multiple-negatives-ranking-loss.js';
export {
  MultipleNegativesSymmetricRankingLoss,
  type MultipleNegativesSymmetricRankingLossOptions,
} from './multiple-negatives-symmetric-ranking-loss.js';
export { MarginMSELoss, type MarginMSELossOptions } from './margin-mse-loss.js';
export { TripletLoss, type TripletDistanceMetric, type TripletLossOptions } from './triplet-loss.js';
export { ContrastiveLoss, type ContrastiveLossOptions, type SiameseDistanceMetric } from './contrastive-loss.js';
export { OnlineContrastiveLoss, type OnlineContrastiveLossOptions } from './online-contrastive-loss.js';
export { MatryoshkaLoss, type MatryoshkaLossOptions } from './matryoshka-loss.js';
