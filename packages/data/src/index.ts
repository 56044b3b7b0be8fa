// Records
export type { InputExample } from './input-example.js';

// Readers: async iterables streaming one file in constant memory.
export { RecordReader, collect } from './readers/record-reader.js';
export type { OnError, ReaderOptions, ReaderStats, SkippedLine } from './readers/record-reader.js';
export type { SkipCode } from './readers/malformed.js';
export { PairClassificationReader } from './readers/pair-classification-reader.js';
export type { PairClassificationReaderOptions } from './readers/pair-classification-reader.js';
export { StsReader, STSB_COLUMNS } from './readers/sts-reader.js';
export type { StsReaderOptions } from './readers/sts-reader.js';
export { NliReader, NLI_LABELS } from './readers/nli-reader.js';
export type { NliReaderOptions } from './readers/nli-reader.js';
export { NliTripletReader } from './readers/nli-triplet-reader.js';
export type { NliTripletReaderOptions } from './readers/nli-triplet-reader.js';
export { nliTripletsFromPairs } from './readers/nli-triplets-from-pairs.js';
export type { NliTripletsFromPairsOptions } from './readers/nli-triplets-from-pairs.js';
export { MsMarcoTriplesReader } from './readers/msmarco-triples-reader.js';
export { MsMarcoIdTriplesReader } from './readers/msmarco-id-triples-reader.js';
export type { MsMarcoTexts } from './readers/msmarco-id-triples-reader.js';
export { QrelsPairReader } from './readers/qrels-pair-reader.js';
export type { QrelsPairReaderOptions } from './readers/qrels-pair-reader.js';
export { MarginMseScoresReader } from './readers/margin-mse-scores-reader.js';
export type { MarginMseScoresReaderOptions, TeacherLabel } from './readers/margin-mse-scores-reader.js';
export { HardNegativesReader } from './readers/hard-negatives-reader.js';
export type { HardNegativesReaderOptions } from './readers/hard-negatives-reader.js';
export { IdTextReader, loadIdTextMap } from './readers/id-text-reader.js';
export type { IdText, IdTextReaderOptions } from './readers/id-text-reader.js';
export { QrelsReader } from './readers/qrels-reader.js';
export type { Qrel } from './readers/qrels-reader.js';
export { GenericReader } from './readers/generic-reader.js';
export type { ColumnRef, GenericReaderOptions } from './readers/generic-reader.js';
export { loadIrEvaluationData } from './ir-evaluation-data.js';
export type { IrEvaluationData, IrEvaluationFiles, IrEvaluationOptions } from './ir-evaluation-data.js';

// Collator
export { DataCollator } from './collator.js';
export type { BatchTokenizer, CollatedBatch, ColumnFeatures, DataCollatorOptions, TokenizedBatch } from './collator.js';

// Batch samplers
export { SeededRandom } from './samplers/seeded-random.js';
export { BatchSampler } from './samplers/batch-sampler.js';
export type { BatchSamplerOptions } from './samplers/batch-sampler.js';
export { DefaultBatchSampler } from './samplers/default-batch-sampler.js';
export type { DefaultBatchSamplerOptions } from './samplers/default-batch-sampler.js';
export { NoDuplicatesBatchSampler } from './samplers/no-duplicates-batch-sampler.js';
export type { NoDuplicatesBatchSamplerOptions } from './samplers/no-duplicates-batch-sampler.js';
export { GroupByLabelBatchSampler } from './samplers/group-by-label-batch-sampler.js';
export { LengthGroupedBatchSampler } from './samplers/length-grouped-batch-sampler.js';
export type { LengthGroupedBatchSamplerOptions } from './samplers/length-grouped-batch-sampler.js';
