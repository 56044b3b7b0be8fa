import { DataError, InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { sniffJsonLines } from '../io/sniff-json-lines.js';
import { Malformed, parseBoundedNumber, parseClassLabel, parseNumber, requireId, requireText, show } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/** A column by header name (or JSON key), or by 0-based index (delimited files only). */
export type ColumnRef = string | number;

export interface GenericReaderOptions extends ReaderOptions {
  /**
   * 'tsv' (TAB, no quoting), 'csv' (comma, `"` quoting; a quoted field may span lines),
   * 'jsonl', or 'auto' (default): JSON Lines when the first character is `{`, CSV for a
   * `.csv[.gz]` name, TSV otherwise.
   */
  format?: 'auto' | 'tsv' | 'csv' | 'jsonl';
  /** The text columns, in loss-input order (e.g. `['anchor', 'positive']` or `[0, 1]`). */
  texts: readonly ColumnRef[];
  /** The label column, if any. */
  label?: ColumnRef;
  /** 'float' (default; any finite number) or 'int' (class ids in [0, numLabels)). */
  labelType?: 'float' | 'int';
  /** For labelType 'int': number of classes (required). */
  numLabels?: number;
  /** For labelType 'float': the valid range, inclusive, e.g. [0, 5]. Default: any finite number. */
  labelRange?: readonly [number, number];
  /** A column copied into `id`. */
  id?: ColumnRef;
  /** Delimited files: whether line 1 is a header. Default true when any column is given by name. */
  header?: boolean;
  /** Delimited files: override the delimiter (one character). */
  delimiter?: string;
}

/**
 * Reads users' own files into {@link InputExample}s, columns mapped by name or index: TSV,
 * CSV or JSON Lines, gzip or not. Every row must have the same number of columns as the
 * header (or as the first row); texts must be non-empty; labels must parse and lie in range.
 *
 * @example
 * // anchor,positive,score CSV with a header
 * new GenericReader('pairs.csv', { texts: ['anchor', 'positive'], label: 'score', labelRange: [0, 1] })
 */
export class GenericReader extends RecordReader<InputExample> {
  readonly format: 'auto' | 'tsv' | 'csv' | 'jsonl';
  private readonly spec: GenericReaderOptions;

  constructor(file: string, options: GenericReaderOptions) {
    super(file, options);
    this.format = options.format ?? 'auto';
    if (!['auto', 'tsv', 'csv', 'jsonl'].includes(this.format)) {
      throw new InputError(`format must be 'auto', 'tsv', 'csv' or 'jsonl', got ${show(this.format)}`);
    }
    if (!Array.isArray(options.texts) || options.texts.length === 0) {
      throw new InputError('texts must list at least one column (a name or a 0-based index)');
    }
    for (const ref of [...options.texts, options.label, options.id]) {
      if (ref === undefined) continue;
      if (!((typeof ref === 'string' && ref !== '') || (Number.isInteger(ref) && (ref as number) >= 0))) {
        throw new InputError(`a column must be a non-empty name or a 0-based index, got ${show(ref)}`);
      }
    }
    const labelType = options.labelType ?? 'float';
    if (labelType !== 'float' && labelType !== 'int') throw new InputError(`labelType must be 'float' or 'int', got ${show(labelType)}`);
    if (labelType === 'int' && !(Number.isInteger(options.numLabels) && (options.numLabels as number) >= 2)) {
      throw new InputError(`labelType 'int' needs numLabels, an integer >= 2; got ${show(options.numLabels)}`);
    }
    if (options.labelRange !== undefined && !(options.labelRange[0] <= options.labelRange[1])) {
      throw new InputError(`labelRange must be [min, max] with min <= max, got ${show(options.labelRange)}`);
    }
    if (options.delimiter !== undefined && options.delimiter.length !== 1) {
      throw new InputError(`delimiter must be one character, got ${show(options.delimiter)}`);
    }
    this.spec = options;
  }

  private async resolveFormat(): Promise<'tsv' | 'csv' | 'jsonl'> {
    if (this.format !== 'auto') return this.format;
    if (await sniffJsonLines(this.file)) return 'jsonl';
    return /\.csv(\.gz)?$/i.test(this.file) ? 'csv' : 'tsv';
  }

  private parseLabel(raw: unknown): number {
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      throw new Malformed('missing-field', 'missing label');
    }
    if ((this.spec.labelType ?? 'float') === 'int') return parseClassLabel(raw, this.spec.numLabels!);
    const range = this.spec.labelRange;
    return range === undefined ? parseNumber(raw, 'label') : parseBoundedNumber(raw, range[0], range[1], 'label');
  }

  private build(get: (ref: ColumnRef) => unknown, describe: (ref: ColumnRef) => string): InputExample {
    const example: InputExample = { texts: this.spec.texts.map((ref) => requireText(get(ref), describe(ref))) };
    if (this.spec.label !== undefined) example.label = this.parseLabel(get(this.spec.label));
    if (this.spec.id !== undefined) example.id = requireId(get(this.spec.id), describe(this.spec.id));
    return example;
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const format = await this.resolveFormat();
    const refs = [...this.spec.texts, this.spec.label, this.spec.id].filter((r): r is ColumnRef => r !== undefined);
    if (format === 'jsonl') {
      if (refs.some((r) => typeof r !== 'string')) throw new InputError(`${this.file}: JSON Lines columns must be given by key`);
      for await (const { line, value } of this.jsonObjects()) {
        const record = this.attempt(line, () => this.build((ref) => value[ref as string], (ref) => `"${ref}"`));
        if (record !== undefined) yield record;
      }
      return;
    }
    const csv = format === 'csv';
    const delimiter = this.spec.delimiter ?? (csv ? ',' : '\t');
    const delimiterName = delimiter === '\t' ? 'tab' : JSON.stringify(delimiter);
    const header = this.spec.header ?? refs.some((r) => typeof r === 'string');
    let names: string[] | undefined;
    let width: number | undefined;
    let indexOf: (ref: ColumnRef) => number = (ref) => ref as number;
    let first = true;
    for await (const { line, fields } of this.rows({ delimiter, quote: csv ? '"' : null })) {
      if (first) {
        first = false;
        if (header) {
          const headerNames = fields.map((f) => f.trim());
          names = headerNames;
          width = fields.length;
          for (const ref of refs) {
            if (typeof ref === 'string' && !headerNames.includes(ref)) {
              throw new DataError(this.file, line, `header lacks column "${ref}"; columns are: ${headerNames.join(', ')}`);
            }
            if (typeof ref === 'number' && ref >= fields.length) {
              throw new DataError(this.file, line, `column index ${ref} is beyond the header's ${fields.length} columns`);
            }
          }
          indexOf = (ref) => (typeof ref === 'number' ? ref : headerNames.indexOf(ref));
          continue;
        }
        if (refs.some((r) => typeof r === 'string')) throw new InputError(`${this.file}: columns given by name need header: true`);
        const needed = Math.max(...(refs as number[])) + 1;
        if (fields.length >= needed) width = fields.length;
        else {
          this.malformed(line, 'column-count', `expected at least ${needed} ${delimiterName}-separated columns, got ${fields.length}`);
          first = true; // the width is fixed by the first well-formed row
          continue;
        }
      }
      const record = this.attempt(line, () => {
        if (fields.length !== width) {
          throw new Malformed('column-count', `expected ${width} ${delimiterName}-separated columns${names ? ` (${names.join(', ')})` : ''}, got ${fields.length}`);
        }
        return this.build(
          (ref) => fields[indexOf(ref)],
          (ref) => (names === undefined ? `column ${ref}` : `column "${names[indexOf(ref)]}"`),
        );
      });
      if (record !== undefined) yield record;
    }
  }
}
