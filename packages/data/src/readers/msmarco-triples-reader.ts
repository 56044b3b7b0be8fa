import type { InputExample } from '../input-example.js';
import { expectColumns, requireText } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/**
 * Reads MS MARCO text triples (`triples.train.small.tsv` layout):
 * `query<TAB>positive passage<TAB>negative passage`, no header, no quoting.
 *
 * Yields `{ texts: [query, positive, negative] }` (no label), the (anchor, positive,
 * negative) input of MultipleNegativesRankingLoss and TripletLoss. Passage text is kept
 * byte-for-byte, including MS MARCO's original mojibake (`donât`).
 */
export class MsMarcoTriplesReader extends RecordReader<InputExample> {
  constructor(file: string, options: ReaderOptions = {}) {
    super(file, options);
  }

  protected async *read(): AsyncGenerator<InputExample> {
    for await (const { line, fields } of this.rows()) {
      const record = this.attempt(line, () => {
        expectColumns(fields, ['query', 'positive', 'negative']);
        return {
          texts: [requireText(fields[0], 'query'), requireText(fields[1], 'positive'), requireText(fields[2], 'negative')],
        };
      });
      if (record !== undefined) yield record;
    }
  }
}
