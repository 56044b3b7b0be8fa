import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { expectColumns, requireText } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';
import { sniffJsonLines } from '../io/sniff-json-lines.js';

export interface NliTripletReaderOptions extends ReaderOptions {
  /** 'jsonl', 'tsv' (three columns, no header), or 'auto' (default): JSON Lines when the first character is `{`. */
  format?: 'auto' | 'jsonl' | 'tsv';
  /**
   * JSONL field names. Default: `origin` / `entailment` / `contradiction`, the SimCSE
   * supervised layout (CNSD-SNLI triplets).
   */
  fields?: { anchor?: string; positive?: string; negative?: string };
}

/**
 * Reads NLI (anchor, entailment, contradiction) triplets — the premise, a hypothesis it
 * entails and one it contradicts — as used with in-batch negatives by
 * MultipleNegativesRankingLoss (the contradiction is a hard negative; SimCSE supervised).
 *
 * Yields `{ texts: [anchor, positive, negative] }` (no label).
 *
 * @example
 * const dev = new NliTripletReader('nli/cnsd-snli-triplets/dev.txt', ); // JSON Lines despite .txt: 2,699 triplets
 */
export class NliTripletReader extends RecordReader<InputExample> {
  readonly format: 'auto' | 'jsonl' | 'tsv';
  readonly fields: { anchor: string; positive: string; negative: string };

  constructor(file: string, options: NliTripletReaderOptions = {}) {
    super(file, options);
    this.format = options.format ?? 'auto';
    if (!['auto', 'jsonl', 'tsv'].includes(this.format)) {
      throw new InputError(`format must be 'auto', 'jsonl' or 'tsv', got ${String(this.format)}`);
    }
    this.fields = {
      anchor: options.fields?.anchor ?? 'origin',
      positive: options.fields?.positive ?? 'entailment',
      negative: options.fields?.negative ?? 'contradiction',
    };
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const { anchor, positive, negative } = this.fields;
    const isJson = this.format === 'auto' ? await sniffJsonLines(this.file) : this.format === 'jsonl';
    if (isJson) {
      for await (const { line, value } of this.jsonObjects()) {
        const record = this.attempt(line, () => ({
          texts: [
            requireText(value[anchor], `"${anchor}"`),
            requireText(value[positive], `"${positive}"`),
            requireText(value[negative], `"${negative}"`),
          ],
        }));
        if (record !== undefined) yield record;
      }
      return;
    }
    for await (const { line, fields } of this.rows()) {
      const record = this.attempt(line, () => {
        expectColumns(fields, [anchor, positive, negative]);
        return { texts: fields.map((f, i) => requireText(f, [anchor, positive, negative][i]!)) };
      });
      if (record !== undefined) yield record;
    }
  }
}
