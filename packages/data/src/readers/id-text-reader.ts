import { Malformed, expectColumns, requireId, requireText } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/** One `id<TAB>text` row. */
export interface IdText {
  id: string;
  text: string;
  /** 1-based file line. */
  line: number;
}

export interface IdTextReaderOptions extends ReaderOptions {
  /** Report a repeated id as malformed (`duplicate-id`); keeps a Set of the ids seen. Default false. */
  unique?: boolean;
}

/**
 * Reads `id<TAB>text` files: MS MARCO `collection.tsv` (pid, passage), `queries.*.tsv` and
 * the Anserini / TREC topics files (qid, query). No header, no quoting, LF or CRLF (the DL20
 * topics are CRLF). Text is kept verbatim — some MS MARCO dev queries begin with a space.
 */
export class IdTextReader extends RecordReader<IdText> {
  readonly unique: boolean;

  constructor(file: string, options: IdTextReaderOptions = {}) {
    super(file, options);
    this.unique = options.unique ?? false;
  }

  protected async *read(): AsyncGenerator<IdText> {
    const seen = this.unique ? new Set<string>() : undefined;
    for await (const { line, fields } of this.rows()) {
      const record = this.attempt(line, () => {
        expectColumns(fields, ['id', 'text']);
        const id = requireId(fields[0], 'id');
        if (seen !== undefined) {
          if (seen.has(id)) throw new Malformed('duplicate-id', `duplicate id ${JSON.stringify(id)}`);
          seen.add(id);
        }
        return { id, text: requireText(fields[1], 'text'), line };
      });
      if (record !== undefined) yield record;
    }
  }
}

/**
 * Loads an `id<TAB>text` file into a Map (ids must be unique). For collections that fit in
 * memory — the full MS MARCO collection (8.8M passages) needs several GB.
 */
export async function loadIdTextMap(file: string, options: ReaderOptions = {}): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for await (const { id, text } of new IdTextReader(file, { ...options, unique: true })) map.set(id, text);
  return map;
}
