/** Messages between an EncodePool and its workers, and errors that cross the thread boundary. */
import type { BackendChoice } from '../backend.js';
import { ConfigError, DataError, InputError, SbertError } from '../errors.js';
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

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  file?: string;
  line?: number;
  reason?: string;
}

export type PoolReply =
  | { type: 'ready'; dimension: number; similarityFnName: SimilarityFunction; maxSeqLength: number; backend: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; data: Float32Array }
  | { type: 'error'; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  const e = error as Partial<SerializedError> & Error;
  const out: SerializedError = { name: e?.name ?? 'Error', message: e?.message ?? String(error) };
  if (typeof e?.code === 'string') out.code = e.code;
  if (typeof e?.file === 'string') out.file = e.file;
  if (typeof e?.line === 'number') out.line = e.line;
  if (typeof e?.reason === 'string') out.reason = e.reason;
  return out;
}

/** Rebuilds the typed error a worker threw (same class, code and message). */
export function deserializeError(s: SerializedError): Error {
  if (s.code === 'E_DATA' && s.file !== undefined && s.reason !== undefined) return new DataError(s.file, s.line, s.reason);
  if (s.code === 'E_CONFIG') return new ConfigError(s.message, s.file === undefined ? {} : { file: s.file });
  if (s.code === 'E_INPUT') return new InputError(s.message);
  if (s.code !== undefined) return new SbertError(s.code, s.message);
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
