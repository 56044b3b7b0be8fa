/** `cluster`: community detection over the embeddings of a file of texts. */
import { communityDetection } from '@sbert/core';
import { parseCommand, type CommandSpec } from '../args.js';
import { embedTexts, openEncoder, resolveWorkers } from '../encoding/chunk-encoder.js';
import { readAllTexts, type InputSpec } from '../io/text-input.js';
import { INPUT_FORMAT_OPTION, MODEL_OPTIONS, PARALLEL_OPTIONS, TextOutput, inputFormatFrom, log, progress, settingsFrom, workersFrom, type CommandContext } from './common.js';

export const clusterSpec: CommandSpec = {
  name: 'cluster',
  summary: "Community detection as sentence-transformers' util.community_detection does it.",
  usage: 'sbert-embedder cluster --model DIR --input FILE [--threshold T] [--min-community-size N] [--output FILE] [options]',
  options: {
    ...MODEL_OPTIONS,
    input: { type: 'string', short: 'i', value: 'FILE', description: 'Texts: .txt, .tsv or .jsonl (required).' },
    ...INPUT_FORMAT_OPTION,
    field: { type: 'string', value: 'NAME', description: 'Column (tsv) or key (jsonl) holding the text.', default: 'text' },
    threshold: { type: 'string', value: 'T', description: 'Cosine similarity to the centre a member needs.', default: '0.75' },
    'min-community-size': { type: 'string', value: 'N', description: 'Smaller communities are dropped.', default: '10' },
    'score-batch-size': { type: 'string', value: 'N', description: 'Rows of the similarity matrix computed at once.', default: '1024' },
    output: { type: 'string', short: 'o', value: 'FILE', description: 'JSONL output, one {"community", "size", "centre", "members", "texts"} per community, largest first (default: stdout).' },
    ...PARALLEL_OPTIONS,
  },
  notes: 'The first member of each community is its centre. Texts in no community are not listed.',
};

export async function clusterCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const o = parseCommand(clusterSpec, argv);
  if (!o) return -1;
  const settings = settingsFrom(o);
  const input: InputSpec = { file: o.required('input'), fields: [o.string('field') ?? 'text'] };
  const format = inputFormatFrom(o);
  if (format) input.format = format;
  const threshold = o.number('threshold') ?? 0.75;
  const minCommunitySize = o.int('min-community-size') ?? 10;
  const batchSize = o.int('score-batch-size') ?? 1024;
  const chunkSize = o.int('chunk-size') ?? 1024;
  const quiet = o.flag('quiet');
  const texts = await readAllTexts(input);
  const encoder = await openEncoder(settings, await resolveWorkers(workersFrom(o), texts.length, chunkSize, settings));
  const out = await TextOutput.open(o.string('output'), ctx);
  try {
    log(quiet, ctx, `cluster: ${texts.length} texts, threshold ${threshold}, min size ${minCommunitySize}, backend ${encoder.backend}`);
    const bar = progress(quiet, ctx, texts.length, 'embed ');
    const embeddings = await embedTexts(texts, encoder, chunkSize, (n) => bar?.tick(n));
    bar?.finish();
    const communities = communityDetection(embeddings, { threshold, minCommunitySize, batchSize });
    for (const [k, members] of communities.entries()) {
      await out.write(`${JSON.stringify({ community: k, size: members.length, centre: members[0], members, texts: members.map((i) => texts[i]) })}\n`);
    }
    await out.commit();
    log(quiet, ctx, `cluster: ${communities.length} communities covering ${communities.reduce((s, c) => s + c.length, 0)} texts`);
    return 0;
  } catch (error) {
    await out.abort();
    throw error;
  } finally {
    await encoder.close();
  }
}
