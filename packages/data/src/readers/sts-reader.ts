import { DataError, InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { expectColumns, parseBoundedNumber, requireText } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/** The STS benchmark header (sentence-transformers' stsbenchmark.tsv.gz). */
export const STSB_COLUMNS = ['split', 'genre', 'dataset', 'year', 'sid', 'score', 'sentence1', 'sentence2'] as const;

export interface StsReaderOptions extends ReaderOptions {
  /**
   * 'pairs': `s1<TAB>s2<TAB>score`, no header (Chinese STS-B / CNSD). 'stsbenchmark': the
   * English STS benchmark TSV with a header naming at least split, score, sentence1 and
   * sentence2. 'auto' (default) picks 'stsbenchmark' when line 1 is such a header.
   */
  format?: 'auto' | 'pairs' | 'stsbenchmark';
  /** Keep only this split (stsbenchmark only); other rows are counted in `stats.excluded`. */
  split?: 'train' | 'dev' | 'test';
  /** Divide scores by `maxScore`, giving 0–1 as CoSENTLoss / CosineSimilarityLoss expect. Default false. */
  normalize?: boolean;
  /** Highest valid score. Default 5. Scores outside [0, maxScore] are malformed. */
  maxScore?: number;
}

/**
 * Reads semantic-textual-similarity pairs with a graded score: the Chinese STS-B files
 * (`s1<TAB>s2<TAB>score`, integer scores 0–5) and the English STS benchmark (gzipped TSV with
 * header, `split` and `genre` columns, CRLF, literal `"` characters — no quote handling).
 *
 * Yields `{ texts: [s1, s2], label: score }`, score in [0, 5], or in [0, 1] with
 * `normalize: true` (score / 5, as sentence-transformers' STS examples do).
 *
 * @example
 * const dev = new StsReader('english-sts-b/stsbenchmark.tsv.gz', { split: 'dev', normalize: true });
 */
export class StsReader extends RecordReader<InputExample> {
  readonly format: 'auto' | 'pairs' | 'stsbenchmark';
  readonly split: 'train' | 'dev' | 'test' | undefined;
  readonly normalize: boolean;
  readonly maxScore: number;

  constructor(file: string, options: StsReaderOptions = {}) {
    super(file, options);
    this.format = options.format ?? 'auto';
    if (!['auto', 'pairs', 'stsbenchmark'].includes(this.format)) {
      throw new InputError(`format must be 'auto', 'pairs' or 'stsbenchmark', got ${String(this.format)}`);
    }
    this.split = options.split;
    if (this.split !== undefined && !['train', 'dev', 'test'].includes(this.split)) {
      throw new InputError(`split must be 'train', 'dev' or 'test', got ${String(this.split)}`);
    }
    this.normalize = options.normalize ?? false;
    this.maxScore = options.maxScore ?? 5;
    if (!(this.maxScore > 0) || !Number.isFinite(this.maxScore)) {
      throw new InputError(`maxScore must be a positive number, got ${this.maxScore}`);
    }
  }

  protected async *read(): AsyncGenerator<InputExample> {
    let columns: { split: number; score: number; s1: number; s2: number; names: string[] } | undefined;
    let firstRow = true;
    for await (const { line, fields } of this.rows()) {
      if (firstRow) {
        firstRow = false;
        const looksLikeHeader = fields.includes('score') && fields.includes('sentence1') && fields.includes('sentence2');
        if (this.format === 'stsbenchmark' || (this.format === 'auto' && looksLikeHeader)) {
          columns = this.headerColumns(line, fields);
          continue;
        }
        if (this.split !== undefined) {
          throw new InputError(`${this.file}: option split='${this.split}' needs the STS benchmark layout with a split column`);
        }
      }
      const record = this.attempt(line, () => {
        let s1: string | undefined;
        let s2: string | undefined;
        let rawScore: string | undefined;
        let split: string | undefined;
        if (columns === undefined) {
          expectColumns(fields, ['sentence1', 'sentence2', 'score']);
          [s1, s2, rawScore] = fields;
        } else {
          expectColumns(fields, columns.names);
          split = fields[columns.split];
          s1 = fields[columns.s1];
          s2 = fields[columns.s2];
          rawScore = fields[columns.score];
        }
        const texts = [requireText(s1, 'sentence1'), requireText(s2, 'sentence2')];
        const score = parseBoundedNumber(rawScore, 0, this.maxScore, 'score');
        return { split, example: { texts, label: this.normalize ? score / this.maxScore : score } };
      });
      if (record === undefined) continue;
      if (this.split !== undefined && record.split !== this.split) {
        this.exclude(`split:${record.split}`);
        continue;
      }
      yield record.example;
    }
  }

  private headerColumns(line: number, fields: string[]) {
    const index = (name: string): number => {
      const i = fields.indexOf(name);
      if (i < 0) {
        // A missing header column makes every line unreadable: fatal whatever onError says.
        throw new DataError(
          this.file,
          line,
          `STS benchmark header lacks column "${name}": expected ${STSB_COLUMNS.join(', ')}; got ${fields.join(', ')}`,
        );
      }
      return i;
    };
    return { split: index('split'), score: index('score'), s1: index('sentence1'), s2: index('sentence2'), names: fields };
  }
}
