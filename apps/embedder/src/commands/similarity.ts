/** `similarity`: a file of text pairs to one score per pair, streamed in chunks. */
import path from 'node:path';
import { pairwiseSimilarity, tf } from '@sbert/core';
import { parseCommand, type CommandSpec } from '../args.js';
import { encodeInOrder, openEncoder, resolveWorkers } from '../encoding/chunk-encoder.js';
import { chunked, readRecords, scanInput, type InputSpec, type TextRecord } from '../io/text-input.js';
import {
  INPUT_FORMAT_OPTION,
  MODEL_OPTIONS,
  PARALLEL_OPTIONS,
  SIMILARITY_OPTION,
  TextOutput,
  fieldList,
  inputFormatFrom,
  log,
  progress,
  settingsFrom,
  similarityFnFrom,
  workersFrom,
  type CommandContext,
} from './common.js';

export const similaritySpec: CommandSpec = {
  name: 'similarity',
  summary: 'Score text pairs: one similarity per pair, in input order.',
  usage: 'sbert-embedder similarity --model DIR --pairs FILE [--output FILE] [options]',
  options: {
    ...MODEL_OPTIONS,
    pairs: { type: 'string', short: 'i', value: 'FILE', description: 'Pairs: .tsv with a header row, or .jsonl (required).' },
    ...INPUT_FORMAT_OPTION,
    fields: { type: 'string', value: 'A,B', description: 'The two columns (tsv) or keys (jsonl) of a pair.', default: 'sentence1,sentence2' },
    ...SIMILARITY_OPTION,
    output: { type: 'string', short: 'o', value: 'FILE', description: 'Scores file: .jsonl gives {"index", "line", "score"}, anything else one score per line (default: stdout).' },
    ...PARALLEL_OPTIONS,
  },
};

/** Row-wise similarity of two (k, D) blocks. */
function pairScores(a: Float32Array, b: Float32Array, k: number, dim: number, fn: Parameters<typeof pairwiseSimilarity>[2]): Float32Array {
  return tf.tidy(() => pairwiseSimilarity(tf.tensor2d(a, [k, dim]), tf.tensor2d(b, [k, dim]), fn).dataSync() as Float32Array);
}

export async function similarityCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const o = parseCommand(similaritySpec, argv);
  if (!o) return -1;
  const settings = settingsFrom(o);
  const input: InputSpec = { file: o.required('pairs'), fields: fieldList(o, 'fields', ['sentence1', 'sentence2'], 2) };
  const format = inputFormatFrom(o);
  if (format) input.format = format;
  const chunkSize = o.int('chunk-size') ?? 1024;
  const quiet = o.flag('quiet');
  const outFile = o.string('output');
  const jsonl = outFile !== undefined && ['.jsonl', '.ndjson'].includes(path.extname(outFile).toLowerCase());
  const { count } = await scanInput(input);
  const encoder = await openEncoder(settings, await resolveWorkers(workersFrom(o), 2 * count, chunkSize, settings));
  const out = await TextOutput.open(outFile, ctx);
  try {
    const fn = similarityFnFrom(o) ?? encoder.similarityFnName;
    log(quiet, ctx, `similarity: ${count} pairs, ${fn}, backend ${encoder.backend}`);
    const bar = progress(quiet, ctx, count, 'similarity ');
    const dim = encoder.dimension;
    let index = 0;
    // A chunk of k pairs is encoded as one chunk of 2k texts: the k first texts, then the k second.
    const chunks = chunked(readRecords(input), Math.max(1, Math.floor(chunkSize / 2)));
    const texts = (c: TextRecord[]): string[] => [...c.map((r) => r.values[0]!), ...c.map((r) => r.values[1]!)];
    for await (const { chunk, embeddings } of encodeInOrder(chunks, texts, encoder)) {
      const k = chunk.length;
      const scores = pairScores(embeddings.subarray(0, k * dim), embeddings.subarray(k * dim), k, dim, fn);
      const lines = chunk.map((r, i) => (jsonl ? `${JSON.stringify({ index: index + i, line: r.line, score: scores[i] })}\n` : `${scores[i]}\n`));
      await out.write(lines.join(''));
      index += k;
      bar?.tick(k);
    }
    bar?.finish();
    await out.commit();
    return 0;
  } catch (error) {
    await out.abort();
    throw error;
  } finally {
    await encoder.close();
  }
}
