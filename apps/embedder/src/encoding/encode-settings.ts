/**
 * What a chunk encoder needs to know, in a form that can cross a worker_threads boundary, and
 * the one function that both the main thread and the workers call to encode a chunk, so that the
 * same chunk gives the same bytes wherever it runs.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BACKEND_CHOICES, ConfigError, DataError, InputError, SbertError, backendInfo, type BackendChoice, type EncodeOptions, type LoadOptions, type SentenceTransformer } from '@sbert/core';

/** The backends the embedder runs: TF.js's, or `onnx` (onnxruntime-node, encode only). */
export type EmbedderBackend = BackendChoice | 'onnx';
export const EMBEDDER_BACKENDS: readonly EmbedderBackend[] = [...BACKEND_CHOICES, 'onnx'];

/** What runs a loaded model: `onnx`, or the TF.js backend's choice. */
export function runningBackend(model: SentenceTransformer): string {
  return model.runtime === 'onnx' ? 'onnx' : (backendInfo()?.choice ?? 'unknown');
}

export interface EncodeSettings {
  modelDir: string;
  backend: EmbedderBackend;
  /** With backend `onnx`: a file in `<model>/onnx/` or a path (default onnx/model.onnx, else exported in memory). */
  onnxFile?: string;
  /** Texts per forward pass inside a chunk (sentence-transformers' batch_size). Default 32. */
  batchSize: number;
  normalize: boolean;
  truncateDim?: number;
  prompt?: string;
  promptName?: string;
  maxSeqLength?: number;
}

export function loadOptions(settings: EncodeSettings): LoadOptions {
  const o: LoadOptions = { backend: settings.backend };
  if (settings.maxSeqLength !== undefined) o.maxSeqLength = settings.maxSeqLength;
  if (settings.onnxFile !== undefined) o.onnxFile = settings.onnxFile;
  return o;
}

function encodeOptions(settings: EncodeSettings): EncodeOptions & { precision: 'float32' } {
  const o: EncodeOptions & { precision: 'float32' } = { batchSize: settings.batchSize, normalize: settings.normalize, precision: 'float32' };
  if (settings.truncateDim !== undefined) o.truncateDim = settings.truncateDim;
  if (settings.prompt !== undefined) o.prompt = settings.prompt;
  if (settings.promptName !== undefined) o.promptName = settings.promptName;
  return o;
}

/** Output dimension: the model's, cut to truncateDim. */
export function outputDimension(model: SentenceTransformer, settings: EncodeSettings): number {
  const dim = model.getSentenceEmbeddingDimension();
  return Math.min(dim, settings.truncateDim ?? dim);
}

/**
 * Encodes one chunk with SentenceTransformer.encode (sorted by length inside the chunk,
 * `batchSize` texts per forward pass) and returns the rows back to back, (k, D) row-major.
 */
export async function encodeFlat(model: SentenceTransformer, texts: readonly string[], settings: EncodeSettings, dim: number): Promise<Float32Array> {
  const rows = await model.encode(texts, encodeOptions(settings));
  const flat = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => flat.set(r, i * dim));
  return flat;
}

/** A short hash of the model directory's file names, sizes and modification times. */
export async function modelFingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    const entries = (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await fs.stat(p);
        hash.update(`${path.relative(dir, p)}\0${st.size}\0${Math.round(st.mtimeMs)}\n`);
      }
    }
  };
  await walk(dir);
  return hash.digest('hex').slice(0, 16);
}

/** An error as plain data, to cross a worker boundary. */
/** Typed errors cross the worker boundary as plain data (see @sbert/core). */
export { serializeError, deserializeError, type SerializedError } from '@sbert/core';
