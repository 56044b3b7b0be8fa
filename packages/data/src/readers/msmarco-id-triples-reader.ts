import type { InputExample } from '../input-example.js';
import { Malformed, expectColumns, requireId } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/** Query and passage texts by id, e.g. from {@link loadIdTextMap}. */
export interface MsMarcoTexts {
  queries: ReadonlyMap<string, string>;
  corpus: ReadonlyMap<string, string>;
}

/** Looks an id up; a missing one makes the line malformed (`unknown-id`). */
export function lookup(map: ReadonlyMap<string, string>, id: string, what: 'query' | 'passage'): string {
  const text = map.get(id);
  if (text === undefined) {
    throw new Malformed('unknown-id', `unknown ${what} id ${JSON.stringify(id)} (not in the ${what === 'query' ? 'queries' : 'corpus'} file)`);
  }
  return text;
}

/**
 * Reads id-based MS MARCO training triples (`qidpidtriples.train.full.tsv` layout:
 * `qid<TAB>pid_pos<TAB>pid_neg`) and joins them with the query and passage texts.
 *
 * Yields `{ texts: [query, positive, negative], id: 'qid:pidPos:pidNeg' }`.
 */
export class MsMarcoIdTriplesReader extends RecordReader<InputExample> {
  private readonly texts: MsMarcoTexts;

  constructor(file: string, texts: MsMarcoTexts, options: ReaderOptions = {}) {
    super(file, options);
    this.texts = texts;
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const { queries, corpus } = this.texts;
    for await (const { line, fields } of this.rows()) {
      const record = this.attempt(line, () => {
        expectColumns(fields, ['qid', 'pid_pos', 'pid_neg']);
        const [qid, pos, neg] = fields.map((f, i) => requireId(f, ['qid', 'pid_pos', 'pid_neg'][i]!)) as [string, string, string];
        return {
          texts: [lookup(queries, qid, 'query'), lookup(corpus, pos, 'passage'), lookup(corpus, neg, 'passage')],
          id: `${qid}:${pos}:${neg}`,
        };
      });
      if (record !== undefined) yield record;
    }
  }
}
