import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { expectColumns, parseClassLabel, requireText } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

export interface PairClassificationReaderOptions extends ReaderOptions {
  /**
   * Where the label column is: 'last' (default) for `s1<TAB>s2<TAB>label` as in the official
   * LCQMC files, 'first' for `label<TAB>s1<TAB>s2` as in some copies (e.g. LET's LCQMC train).
   */
  labelPosition?: 'last' | 'first';
  /** Number of classes; labels must be integers in [0, numLabels). Default 2. */
  numLabels?: number;
}

/**
 * Reads sentence-pair classification files such as LCQMC: three tab-separated columns, no
 * header, no quoting, an integer class label (LCQMC: 1 = same intent, 0 = not).
 *
 * Yields `{ texts: [s1, s2], label }` — the (sentence_A, sentence_B, label) layout that
 * ContrastiveLoss, OnlineContrastiveLoss, SoftmaxLoss and CoSENTLoss (with 0/1 scores) take.
 *
 * @example
 * const dev = new PairClassificationReader('lcqmc/dev.txt');
 * for await (const { texts, label } of dev) { ... }   // 8,802 pairs
 */
export class PairClassificationReader extends RecordReader<InputExample> {
  readonly labelPosition: 'last' | 'first';
  readonly numLabels: number;

  constructor(file: string, options: PairClassificationReaderOptions = {}) {
    super(file, options);
    this.labelPosition = options.labelPosition ?? 'last';
    if (this.labelPosition !== 'last' && this.labelPosition !== 'first') {
      throw new InputError(`labelPosition must be 'last' or 'first', got ${String(this.labelPosition)}`);
    }
    this.numLabels = options.numLabels ?? 2;
    if (!Number.isInteger(this.numLabels) || this.numLabels < 2) {
      throw new InputError(`numLabels must be an integer >= 2, got ${this.numLabels}`);
    }
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const first = this.labelPosition === 'first';
    const names = first ? ['label', 'sentence1', 'sentence2'] : ['sentence1', 'sentence2', 'label'];
    for await (const { line, fields } of this.rows()) {
      const record = this.attempt(line, () => {
        expectColumns(fields, names);
        const [a, b, c] = fields as [string, string, string];
        const s1 = requireText(first ? b : a, 'sentence1');
        const s2 = requireText(first ? c : b, 'sentence2');
        const label = parseClassLabel(first ? a : c, this.numLabels);
        return { texts: [s1, s2], label };
      });
      if (record !== undefined) yield record;
    }
  }
}
