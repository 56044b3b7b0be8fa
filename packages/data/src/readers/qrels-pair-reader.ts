import type { InputExample } from '../input-example.js';
import { lookup, type MsMarcoTexts } from './msmarco-id-triples-reader.js';
import { QrelsReader } from './qrels-reader.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

export interface QrelsPairReaderOptions extends ReaderOptions {
  /** Judgements below this relevance are left out (counted in `stats.excluded`). Default 1. */
  minRelevance?: number;
}

/**
 * Id-based (query, relevant passage) training pairs: reads a qrels file (see
 * {@link QrelsReader}) and joins each judgement with the texts of `queries.tsv` and
 * `collection.tsv`.
 *
 * Yields `{ texts: [query, passage], id: 'qid:pid' }` — (anchor, positive) pairs for
 * MultipleNegativesRankingLoss (use the NoDuplicates sampler).
 */
export class QrelsPairReader extends RecordReader<InputExample> {
  readonly minRelevance: number;
  private readonly texts: MsMarcoTexts;

  constructor(file: string, texts: MsMarcoTexts, options: QrelsPairReaderOptions = {}) {
    super(file, options);
    this.texts = texts;
    this.minRelevance = options.minRelevance ?? 1;
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const { queries, corpus } = this.texts;
    // The inner reader reports through this reader's counters and onError policy.
    const qrels = new QrelsReader(this.file, {
      ...this.options,
      onError: 'skip',
      warn: () => undefined,
      onSkip: (s) => this.malformed(s.line, s.code, s.reason),
    });
    for await (const { queryId, docId, relevance, line } of qrels) {
      if (relevance < this.minRelevance) {
        this.exclude('below-min-relevance');
        continue;
      }
      const record = this.attempt(line, () => ({
        texts: [lookup(queries, queryId, 'query'), lookup(corpus, docId, 'passage')],
        id: `${queryId}:${docId}`,
      }));
      if (record !== undefined) yield record;
    }
    this.adoptLineCounts(qrels.stats);
  }
}
