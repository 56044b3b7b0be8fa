/** `search`: the top-k corpus texts for every query, by embedding similarity. */
import { semanticSearch, tf } from '@sbert/core';
import { parseCommand, type CommandSpec } from '../args.js';
import { embedTexts, encodeInOrder, openEncoder, resolveWorkers } from '../encoding/chunk-encoder.js';
import { chunked, readAllTexts, readRecords, type InputSpec, type TextRecord } from '../io/text-input.js';
import {
  INPUT_FORMAT_OPTION,
  MODEL_OPTIONS,
  PARALLEL_OPTIONS,
  SIMILARITY_OPTION,
  TextOutput,
  inputFormatFrom,
  log,
  progress,
  settingsFrom,
  similarityFnFrom,
  workersFrom,
  type CommandContext,
} from './common.js';

export const searchSpec: CommandSpec = {
  name: 'search',
  summary: 'Semantic search: embed a corpus and queries, then list the top-k corpus texts per query.',
  usage: 'sbert-embedder search --model DIR --corpus FILE --queries FILE [--top-k N] [--output FILE] [options]',
  options: {
    ...MODEL_OPTIONS,
    corpus: { type: 'string', short: 'c', value: 'FILE', description: 'Corpus texts: .txt, .tsv or .jsonl (required; held in memory).' },
    queries: { type: 'string', short: 'i', value: 'FILE', description: 'Query texts: .txt, .tsv or .jsonl (required; streamed).' },
    ...INPUT_FORMAT_OPTION,
    field: { type: 'string', value: 'NAME', description: 'Column (tsv) or key (jsonl) holding the text, in both files.', default: 'text' },
    'top-k': { type: 'string', short: 'k', value: 'N', description: 'Hits per query.', default: '10' },
    ...SIMILARITY_OPTION,
    output: { type: 'string', short: 'o', value: 'FILE', description: 'JSONL output, one {"query_index", "query", "hits": [{"corpus_id", "score", "text"}]} per query (default: stdout).' },
    ...PARALLEL_OPTIONS,
  },
};

export async function searchCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const o = parseCommand(searchSpec, argv);
  if (!o) return -1;
  const settings = settingsFrom(o);
  const format = inputFormatFrom(o);
  const field = o.string('field') ?? 'text';
  const corpusSpec: InputSpec = { file: o.required('corpus'), fields: [field] };
  const querySpec: InputSpec = { file: o.required('queries'), fields: [field] };
  if (format) corpusSpec.format = querySpec.format = format;
  const topK = o.int('top-k') ?? 10;
  const chunkSize = o.int('chunk-size') ?? 1024;
  const quiet = o.flag('quiet');
  const corpus = await readAllTexts(corpusSpec);
  const encoder = await openEncoder(settings, await resolveWorkers(workersFrom(o), corpus.length, chunkSize, settings));
  const out = await TextOutput.open(o.string('output'), ctx);
  let corpusTensor: tf.Tensor2D | undefined;
  try {
    const fn = similarityFnFrom(o) ?? encoder.similarityFnName;
    log(quiet, ctx, `search: corpus of ${corpus.length} texts, top ${topK}, ${fn}, backend ${encoder.backend}`);
    const bar = progress(quiet, ctx, corpus.length, 'corpus ');
    const rows = await embedTexts(corpus, encoder, chunkSize, (n) => bar?.tick(n));
    bar?.finish();
    const dim = encoder.dimension;
    // The rows are views into one (N, D) buffer.
    const flat = rows.length ? new Float32Array(rows[0]!.buffer, rows[0]!.byteOffset, rows.length * dim) : new Float32Array(0);
    corpusTensor = tf.tensor2d(flat, [rows.length, dim]);
    let index = 0;
    for await (const { chunk, embeddings } of encodeInOrder(chunked(readRecords(querySpec), chunkSize), (c: TextRecord[]) => c.map((r) => r.values[0]!), encoder)) {
      const queries = chunk.map((_, i) => embeddings.subarray(i * dim, (i + 1) * dim));
      const hits = corpus.length === 0 ? chunk.map(() => []) : semanticSearch(queries, corpusTensor, { topK, scoreFunction: fn });
      const lines = chunk.map((r, i) =>
        `${JSON.stringify({ query_index: index + i, query: r.values[0], hits: hits[i]!.map((h) => ({ corpus_id: h.corpusId, score: h.score, text: corpus[h.corpusId] })) })}\n`,
      );
      await out.write(lines.join(''));
      index += chunk.length;
    }
    await out.commit();
    return 0;
  } catch (error) {
    await out.abort();
    throw error;
  } finally {
    corpusTensor?.dispose();
    await encoder.close();
  }
}
