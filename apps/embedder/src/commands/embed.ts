/**
 * `embed`: texts from a .txt/.tsv/.jsonl file to embeddings in .npy, .jsonl or raw float32.
 * Streams in chunks (bounded memory), shows progress, and resumes an interrupted run from its
 * last complete chunk (see io/embedding-output.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseCommand, type CommandSpec } from '../args.js';
import { encodeInOrder, openEncoder, resolveWorkers } from '../encoding/chunk-encoder.js';
import { modelFingerprint, type EncodeSettings } from '../encoding/encode-settings.js';
import { EmbeddingOutput, OUTPUT_FORMATS, outputFormatOf, type OutputFormat } from '../io/embedding-output.js';
import { chunked, inputFormatOf, readRecords, scanInput, type InputSpec, type TextRecord } from '../io/text-input.js';
import { INPUT_FORMAT_OPTION, MODEL_OPTIONS, PARALLEL_OPTIONS, inputFormatFrom, log, progress, settingsFrom, workersFrom, type CommandContext } from './common.js';

export const embedSpec: CommandSpec = {
  name: 'embed',
  summary: 'Embed every text of a file. Streams in chunks; an interrupted run resumes where it stopped.',
  usage: 'sbert-embedder embed --model DIR --input FILE --output FILE [options]',
  options: {
    ...MODEL_OPTIONS,
    input: { type: 'string', short: 'i', value: 'FILE', description: 'Texts: .txt (one per line), .tsv (header row) or .jsonl (required).' },
    ...INPUT_FORMAT_OPTION,
    field: { type: 'string', value: 'NAME', description: 'Column (tsv) or key (jsonl) holding the text.', default: 'text' },
    output: { type: 'string', short: 'o', value: 'FILE', description: 'Embeddings file (required).' },
    format: { type: 'string', value: 'FMT', description: `Output format: ${OUTPUT_FORMATS.join(', ')} (default: from the extension: .npy, .jsonl, .f32/.bin/.raw).` },
    restart: { type: 'boolean', description: 'Ignore a partial earlier run of the same output and start over.' },
    ...PARALLEL_OPTIONS,
  },
  notes: [
    'Output formats:',
    "  npy    NumPy v1.0, '<f4', shape (N, D): numpy.load(FILE)",
    '  jsonl  one {"index": i, "embedding": [...]} per line',
    '  raw    a JSON header line (shape, header_bytes), then N*D little-endian float32',
    'While running, FILE.partial and FILE.progress.json hold the finished chunks; rerunning the',
    'same command continues from there, and FILE appears (atomically) only when complete.',
  ].join('\n'),
};

export interface EmbedJob {
  settings: EncodeSettings;
  input: InputSpec;
  output: string;
  format: OutputFormat;
  chunkSize: number;
  workers: number | 'auto';
  restart: boolean;
}

export interface EmbedHooks {
  /** Called after each chunk is on disk; throwing from it interrupts the run (tests). */
  afterChunk?: (rowsDone: number) => void | Promise<void>;
}

export interface EmbedResult {
  rows: number;
  dim: number;
  resumedFrom: number;
  workers: number;
  backend: string;
}

async function* skip<T>(source: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  let i = 0;
  for await (const item of source) if (i++ >= n) yield item;
}

export async function runEmbed(job: EmbedJob, ctx: CommandContext, quiet: boolean, hooks: EmbedHooks = {}): Promise<EmbedResult> {
  const say = (m: string): void => log(quiet, ctx, m);
  const started = Date.now();
  const scan = await scanInput(job.input);
  const workers = await resolveWorkers(job.workers, scan.count, job.chunkSize, job.settings);
  const encoder = await openEncoder(job.settings, workers);
  let output: EmbeddingOutput | undefined;
  try {
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify({
          input: { sha256: scan.sha256, bytes: scan.bytes, format: inputFormatOf(job.input.file, job.input.format), fields: job.input.fields },
          model: { dir: job.settings.modelDir, files: await modelFingerprint(job.settings.modelDir) },
          settings: { ...job.settings, backend: encoder.backend },
          chunkSize: job.chunkSize,
          format: job.format,
        }),
      )
      .digest('hex');
    output = await EmbeddingOutput.open(
      {
        file: job.output,
        format: job.format,
        rows: scan.count,
        dim: encoder.dimension,
        fingerprint,
        meta: { model: path.basename(job.settings.modelDir), normalized: job.settings.normalize },
      },
      { restart: job.restart },
    );
    if (output.discarded) say(`embed: not resuming the partial run in ${job.output}.partial: ${output.discarded}`);
    const from = output.startRow;
    if (from > 0) say(`embed: resuming at row ${from} of ${scan.count}`);
    say(`embed: ${scan.count} texts, ${encoder.dimension} dims, backend ${encoder.backend}, ${workers} worker${workers === 1 ? '' : 's'}`);
    const bar = progress(quiet, ctx, scan.count - from, 'embed ');
    const chunks = chunked(skip(readRecords(job.input), from), job.chunkSize);
    for await (const { chunk, embeddings } of encodeInOrder(chunks, (c: TextRecord[]) => c.map((r) => r.values[0]!), encoder)) {
      await output.append(embeddings, chunk.length);
      bar?.tick(chunk.length);
      await hooks.afterChunk?.(output.rowsDone);
    }
    bar?.finish();
    await output.commit();
    const secs = (Date.now() - started) / 1000;
    say(`embed: wrote ${scan.count} x ${encoder.dimension} to ${job.output} (${job.format}) in ${secs.toFixed(1)}s`);
    return { rows: scan.count, dim: encoder.dimension, resumedFrom: from, workers, backend: encoder.backend };
  } finally {
    await output?.close();
    await encoder.close();
  }
}

export async function embedCommand(argv: readonly string[], ctx: CommandContext, hooks: EmbedHooks = {}): Promise<number> {
  const o = parseCommand(embedSpec, argv);
  if (!o) return -1;
  const settings = settingsFrom(o);
  const outputFile = o.required('output');
  const input: InputSpec = { file: o.required('input'), fields: [o.string('field') ?? 'text'] };
  const inputFormat = inputFormatFrom(o);
  if (inputFormat) input.format = inputFormat;
  const job: EmbedJob = {
    settings,
    input,
    output: outputFile,
    format: outputFormatOf(outputFile, o.choice('format', OUTPUT_FORMATS)),
    chunkSize: o.int('chunk-size') ?? 1024,
    workers: workersFrom(o),
    restart: o.flag('restart'),
  };
  await runEmbed(job, ctx, o.flag('quiet'), hooks);
  return 0;
}
