/** Messages between DataParallel (main thread) and its gradient workers. */
import type { BackendChoice } from '@sbert/core';
import type { StepScalars } from './adamw.js';

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
  /** Gradient caching inside the worker: embed at most this many rows with a graph at a time. */
  miniBatchSize?: number;
  /** [0]: 1 when the upstream gradients are ready, 2 to abort the step. */
  control: SharedArrayBuffer;
  /** dL/d(embedding) of this worker's rows, column after column (rows × dim each). */
  upstream: SharedArrayBuffer;
}

/** One weight's part of a worker's share of the flat parameter vector. */
export interface Segment {
  /** [from, to) in the flat weights / gradients. */
  from: number;
  to: number;
  /** Where `from` is in the optimizer's flat moments. */
  momentsAt: number;
  /** Weight-decay multiplier of this weight. */
  decay: number;
}

/**
 * The optimizer's work on a worker's share: `sum-gradients` adds every worker's gradients into
 * the first buffer over the segments and returns Σ g²; `adamw` applies AdamW there in place
 * (the weights and the moments), summing first unless `summed`.
 */
export type OptimizerRequest =
  | { type: 'sum-gradients'; grads: SharedArrayBuffer[]; segments: Segment[] }
  | {
      type: 'adamw';
      grads: SharedArrayBuffer[];
      summed: boolean;
      weights: SharedArrayBuffer;
      m: SharedArrayBuffer;
      v: SharedArrayBuffer;
      segments: Segment[];
      scale: number;
      step: StepScalars;
    };

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
  | { type: 'summed'; sumOfSquares: number }
  | { type: 'updated' }
  | { type: 'error'; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  const e = error as Error & { code?: unknown };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}
