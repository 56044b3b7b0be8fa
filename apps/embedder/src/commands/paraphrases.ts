/** `paraphrases`: paraphrase mining as sentence-transformers' util.paraphrase_mining does it. */
import { paraphraseMiningEmbeddings } from '@sbert/core';
import { parseCommand, type CommandSpec } from '../args.js';
import { embedTexts, openEncoder, resolveWorkers } from '../encoding/chunk-encoder.js';
import { readAllTexts, type InputSpec } from '../io/text-input.js';
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

export const paraphrasesSpec: CommandSpec = {
  name: 'paraphrases',
  summary: 'Paraphrase mining: the pairs of texts with the highest similarity, best first.',
  usage: 'sbert-embedder paraphrases --model DIR --input FILE [--top-k N] [--max-pairs N] [--output FILE] [options]',
  options: {
    ...MODEL_OPTIONS,
    input: { type: 'string', short: 'i', value: 'FILE', description: 'Texts: .txt, .tsv or .jsonl (required).' },
    ...INPUT_FORMAT_OPTION,
    field: { type: 'string', value: 'NAME', description: 'Column (tsv) or key (jsonl) holding the text.', default: 'text' },
    'top-k': { type: 'string', short: 'k', value: 'N', description: 'Neighbours considered per text.', default: '100' },
    'max-pairs': { type: 'string', value: 'N', description: 'Most pairs returned.', default: '500000' },
    'query-chunk-size': { type: 'string', value: 'N', description: 'Queries scored at once (memory only).', default: '1000' },
    'corpus-chunk-size': { type: 'string', value: 'N', description: 'Corpus rows scored at once (memory only).', default: '10000' },
    ...SIMILARITY_OPTION,
    output: { type: 'string', short: 'o', value: 'FILE', description: 'JSONL output, one {"score", "i", "j", "text_i", "text_j"} per pair (default: stdout).' },
    ...PARALLEL_OPTIONS,
  },
};

export async function paraphrasesCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const o = parseCommand(paraphrasesSpec, argv);
  if (!o) return -1;
  const settings = settingsFrom(o);
  const input: InputSpec = { file: o.required('input'), fields: [o.string('field') ?? 'text'] };
  const format = inputFormatFrom(o);
  if (format) input.format = format;
  const topK = o.int('top-k', 0) ?? 100;
  const maxPairs = o.int('max-pairs', 0) ?? 500_000;
  const queryChunkSize = o.int('query-chunk-size') ?? 1000;
  const corpusChunkSize = o.int('corpus-chunk-size') ?? 10_000;
  const chunkSize = o.int('chunk-size') ?? 1024;
  const quiet = o.flag('quiet');
  const texts = await readAllTexts(input);
  const encoder = await openEncoder(settings, await resolveWorkers(workersFrom(o), texts.length, chunkSize, settings));
  const out = await TextOutput.open(o.string('output'), ctx);
  try {
    const fn = similarityFnFrom(o) ?? encoder.similarityFnName;
    log(quiet, ctx, `paraphrases: ${texts.length} texts, top ${topK}, at most ${maxPairs} pairs, ${fn}, backend ${encoder.backend}`);
    const bar = progress(quiet, ctx, texts.length, 'embed ');
    const embeddings = await embedTexts(texts, encoder, chunkSize, (n) => bar?.tick(n));
    bar?.finish();
    const pairs = paraphraseMiningEmbeddings(embeddings, { topK, maxPairs, queryChunkSize, corpusChunkSize, scoreFunction: fn });
    for (const [score, i, j] of pairs) await out.write(`${JSON.stringify({ score, i, j, text_i: texts[i], text_j: texts[j] })}\n`);
    await out.commit();
    log(quiet, ctx, `paraphrases: ${pairs.length} pairs`);
    return 0;
  } catch (error) {
    await out.abort();
    throw error;
  } finally {
    await encoder.close();
  }
}
