import { Malformed, parseNumber, requireId } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/** One relevance judgement. */
export interface Qrel {
  queryId: string;
  docId: string;
  /** Graded relevance (MS MARCO dev: always 1; TREC DL: 0–3). */
  relevance: number;
  /** 1-based file line. */
  line: number;
}

/**
 * Reads relevance judgements (qrels), fields separated by spaces or tabs:
 * - TREC layout, 4 fields: `qid iter docid relevance` (MS MARCO `qrels.dev.small.tsv`, the
 *   Anserini copies with `0` or `Q0` as the ignored 2nd field);
 * - 3 fields: `qid docid relevance` (BEIR `qrels/*.tsv`, whose header line
 *   `query-id corpus-id score` is recognised and skipped).
 * The layout is fixed by the first record; relevance must be an integer.
 */
export class QrelsReader extends RecordReader<Qrel> {
  constructor(file: string, options: ReaderOptions = {}) {
    super(file, options);
  }

  protected async *read(): AsyncGenerator<Qrel> {
    let width: 3 | 4 | undefined;
    let first = true;
    for await (const { line, text } of this.lines()) {
      const fields = text.trim().split(/\s+/);
      if (first) {
        first = false;
        if (fields.length === 3 && !/^[+-]?\d+$/.test(fields[2]!) && /id|score|rel/i.test(text)) continue; // BEIR header
      }
      const record = this.attempt(line, () => {
        if (width === undefined) {
          if (fields.length !== 3 && fields.length !== 4) {
            throw new Malformed('column-count', `expected 4 whitespace-separated fields (qid iter docid relevance) or 3 (qid docid relevance), got ${fields.length}`);
          }
          width = fields.length;
        } else if (fields.length !== width) {
          throw new Malformed(
            'column-count',
            width === 4
              ? `expected 4 whitespace-separated fields (qid iter docid relevance), got ${fields.length}`
              : `expected 3 whitespace-separated fields (qid docid relevance), got ${fields.length}`,
          );
        }
        const [qid, docid, rel] = width === 4 ? [fields[0], fields[2], fields[3]] : [fields[0], fields[1], fields[2]];
        const relevance = parseNumber(rel, 'relevance');
        if (!Number.isInteger(relevance)) throw new Malformed('unparsable-label', `relevance ${JSON.stringify(rel)} is not an integer`);
        return { queryId: requireId(qid, 'query id'), docId: requireId(docid, 'doc id'), relevance, line };
      });
      if (record !== undefined) yield record;
    }
  }
}
