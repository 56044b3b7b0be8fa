/** Messages between DataParallel (main thread) and its gradient workers. */
import type { BackendChoice } from '@sbert/core';

export interface DataParallelWorkerData {
  modelDir: string;
  backend: BackendChoice;
  /** Current weights, flat in `names` order (written by the main thread between steps). */
  weights: SharedArrayBuffer;
  /** This worker's gradients, flat in the same order (written by the worker). */
  grads: SharedArrayBuffer;
}

export interface StepRequest {
  type: 'step';
  /** Weights version: reload from the shared weights when it changed. */
  version: number;
  /** This worker's rows of each column. */
  columns: string[][];
  /** Dropout seed of each column. */
  seeds: number[];
  training: boolean;
  /** [0]: 1 when the upstream gradients are ready, 2 to abort the step. */
  control: SharedArrayBuffer;
  /** dL/d(embedding) of this worker's rows, column after column (rows × dim each). */
  upstream: SharedArrayBuffer;
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export type WorkerReply =
  | { type: 'ready'; names: string[]; sizes: number[] }
  | { type: 'failed'; error: SerializedError }
  | { type: 'embedded'; data: Float32Array; dim: number }
  /** `present[i]`: weight i got a gradient (unused weights, e.g. BERT's pooler, get none). */
  | { type: 'done'; present: boolean[]; ms: Record<string, number> }
  | { type: 'error'; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  const e = error as Error & { code?: unknown };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}
