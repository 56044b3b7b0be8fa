/** Messages between an EncodePool and its workers. */
import type { BackendChoice } from '../backend.js';
import type { SerializedError } from '../errors.js';
import type { SimilarityFunction } from '../similarity.js';
import type { EncodeOptions } from '../sentence-transformer.js';

export interface WorkerSettings {
  modelDir: string;
  backend?: BackendChoice;
  maxSeqLength?: number;
}

/** One batch: encode `texts` in one forward pass with these options. */
export interface PoolRequest {
  id: number;
  texts: string[];
  options: Omit<EncodeOptions, 'precision' | 'quantization' | 'showProgress'>;
}

export type PoolReply =
  | { type: 'ready'; dimension: number; similarityFnName: SimilarityFunction; maxSeqLength: number; backend: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; data: Float32Array }
  | { type: 'error'; id: number; error: SerializedError };
