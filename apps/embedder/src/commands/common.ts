/** Options and helpers shared by the commands. */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { ProgressBar, SIMILARITY_FUNCTIONS, type BackendChoice, type SimilarityFunction } from '@sbert/core';
import type { OptionTable, ParsedOptions } from '../args.js';
import { UsageError } from '../errors.js';
import { EMBEDDER_BACKENDS, type EncodeSettings } from '../encoding/encode-settings.js';
import { INPUT_FORMATS, type InputFormat } from '../io/text-input.js';

/** Where a command writes; tests pass their own streams. */
export interface CommandContext {
  stdout: Writable;
  stderr: Writable;
}

export const MODEL_OPTIONS: OptionTable = {
  model: { type: 'string', short: 'm', value: 'DIR', description: 'sentence-transformers model directory (required).' },
  backend: { type: 'string', value: 'NAME', description: `${EMBEDDER_BACKENDS.join(', ')}: a TF.js backend, or onnx (onnxruntime-node, needs \`npm i onnxruntime-node\`).`, default: 'auto' },
  'onnx-file': { type: 'string', value: 'FILE', description: 'With --backend onnx: a file in <model>/onnx/ (e.g. model_qint8.onnx) or a path; default onnx/model.onnx, else the model exported in memory.' },
  'batch-size': { type: 'string', value: 'N', description: 'Texts per forward pass.', default: '32' },
  normalize: { type: 'boolean', description: 'L2-normalise the embeddings (after --truncate-dim).' },
  'truncate-dim': { type: 'string', value: 'N', description: 'Keep the first N dimensions (before normalising).' },
  prompt: { type: 'string', value: 'TEXT', description: 'Text prepended to every input.' },
  'prompt-name': { type: 'string', value: 'NAME', description: "Name of a prompt in the model's config." },
  'max-seq-length': { type: 'string', value: 'N', description: "Override the model's max_seq_length (tokens)." },
};

export const PARALLEL_OPTIONS: OptionTable = {
  workers: { type: 'string', value: 'N|auto', description: 'Encoder threads (worker_threads, one backend each); auto = one per core for large inputs on wasm/cpu.', default: 'auto' },
  'chunk-size': { type: 'string', value: 'N', description: 'Texts per chunk: the unit of dispatch, progress and resume.', default: '1024' },
  quiet: { type: 'boolean', short: 'q', description: 'No progress output.' },
};

export const INPUT_FORMAT_OPTION: OptionTable = {
  'input-format': { type: 'string', value: 'FMT', description: `Input format: ${INPUT_FORMATS.join(', ')} (default: from the extension).` },
};

export const SIMILARITY_OPTION: OptionTable = {
  'similarity-fn': { type: 'string', value: 'FN', description: `${SIMILARITY_FUNCTIONS.join(', ')} (default: the model's, usually cosine).` },
};

export function settingsFrom(o: ParsedOptions): EncodeSettings {
  const s: EncodeSettings = {
    modelDir: path.resolve(o.required('model')),
    backend: o.choice('backend', EMBEDDER_BACKENDS) ?? 'auto',
    batchSize: o.int('batch-size') ?? 32,
    normalize: o.flag('normalize'),
  };
  const truncateDim = o.int('truncate-dim');
  if (truncateDim !== undefined) s.truncateDim = truncateDim;
  const prompt = o.string('prompt');
  if (prompt !== undefined) s.prompt = prompt;
  const promptName = o.string('prompt-name');
  if (promptName !== undefined) s.promptName = promptName;
  const maxSeqLength = o.int('max-seq-length');
  if (maxSeqLength !== undefined) s.maxSeqLength = maxSeqLength;
  const onnxFile = o.string('onnx-file');
  if (onnxFile !== undefined) {
    if (s.backend !== 'onnx') throw new UsageError('--onnx-file needs --backend onnx');
    s.onnxFile = onnxFile;
  }
  return s;
}

export function workersFrom(o: ParsedOptions): number | 'auto' {
  const raw = o.string('workers') ?? 'auto';
  if (raw === 'auto') return 'auto';
  const n = o.int('workers', 1, 256);
  return n!;
}

export function inputFormatFrom(o: ParsedOptions): InputFormat | undefined {
  return o.choice('input-format', INPUT_FORMATS);
}

export function similarityFnFrom(o: ParsedOptions): SimilarityFunction | undefined {
  return o.choice('similarity-fn', SIMILARITY_FUNCTIONS);
}

/** A progress bar on the context's stderr, or nothing with --quiet. */
export function progress(quiet: boolean, ctx: CommandContext, total: number, label: string): ProgressBar | undefined {
  if (quiet) return undefined;
  return new ProgressBar(total, label, ctx.stderr as NodeJS.WriteStream);
}

export function log(quiet: boolean, ctx: CommandContext, message: string): void {
  if (!quiet) ctx.stderr.write(`${message}\n`);
}

/** Comma-separated field names. */
export function fieldList(o: ParsedOptions, name: string, fallback: string[], count: number): string[] {
  const raw = o.string(name);
  const fields = raw === undefined ? fallback : raw.split(',').map((f) => f.trim());
  if (fields.length !== count || fields.some((f) => f === '')) {
    throw new UsageError(`${o.command}: --${name} needs ${count} comma-separated field names, got '${raw}'`);
  }
  return fields;
}

/**
 * A text output: stdout, or a file written through a temporary sibling and renamed into place
 * on commit, so the file never holds a partial result.
 */
export class TextOutput {
  private constructor(
    private readonly stream: Writable,
    private readonly file: string | undefined,
    private readonly tmp: string | undefined,
  ) {}

  static async open(file: string | undefined, ctx: CommandContext): Promise<TextOutput> {
    if (file === undefined || file === '-') return new TextOutput(ctx.stdout, undefined, undefined);
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    return new TextOutput(createWriteStream(tmp), file, tmp);
  }

  /** Writes, waiting for the stream to drain when its buffer is full. */
  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async commit(): Promise<void> {
    if (!this.file) return;
    const s = this.stream as WriteStream;
    await new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await fs.rename(this.tmp!, this.file);
  }

  async abort(): Promise<void> {
    if (!this.tmp) return;
    (this.stream as WriteStream).destroy();
    await fs.rm(this.tmp, { force: true });
  }
}
