import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { lookup, type MsMarcoTexts } from './msmarco-id-triples-reader.js';
import { expectColumns, parseNumber, requireId } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

/** How teacher scores become the label: raw `[pos, neg]` scores, or the margin `pos − neg`. */
export type TeacherLabel = 'scores' | 'margins';

export interface MarginMseScoresReaderOptions extends ReaderOptions {
  /** Default 'scores': `[scorePos, scoreNeg]`; 'margins': `[scorePos − scoreNeg]`. */
  label?: TeacherLabel;
}

/**
 * Reads cross-encoder teacher scores for MarginMSE distillation in the id-based TSV layout of
 * Hofstätter et al. (`bert_cat_ensemble_msmarcopassage_train_scores_ids.tsv`):
 * `score_pos<TAB>score_neg<TAB>qid<TAB>pid_pos<TAB>pid_neg`, joined with query and passage
 * texts.
 *
 * Yields `{ texts: [query, positive, negative], label: [scorePos, scoreNeg], id }`. MarginMSELoss
 * takes either raw scores (k+1 per row, turned into margins) or margins (`label: 'margins'`).
 *
 * Reference: Hofstätter et al., "Improving Efficient Neural Ranking Models with Cross-Architecture
 * Knowledge Distillation", 2020.
 */
export class MarginMseScoresReader extends RecordReader<InputExample> {
  readonly label: TeacherLabel;
  private readonly texts: MsMarcoTexts;

  constructor(file: string, texts: MsMarcoTexts, options: MarginMseScoresReaderOptions = {}) {
    super(file, options);
    this.texts = texts;
    this.label = options.label ?? 'scores';
    if (this.label !== 'scores' && this.label !== 'margins') {
      throw new InputError(`label must be 'scores' or 'margins', got ${String(this.label)}`);
    }
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const { queries, corpus } = this.texts;
    const names = ['score_pos', 'score_neg', 'qid', 'pid_pos', 'pid_neg'];
    for await (const { line, fields } of this.rows()) {
      const record = this.attempt(line, () => {
        expectColumns(fields, names);
        const scorePos = parseNumber(fields[0], 'score_pos');
        const scoreNeg = parseNumber(fields[1], 'score_neg');
        const qid = requireId(fields[2], 'qid');
        const pos = requireId(fields[3], 'pid_pos');
        const neg = requireId(fields[4], 'pid_neg');
        return {
          texts: [lookup(queries, qid, 'query'), lookup(corpus, pos, 'passage'), lookup(corpus, neg, 'passage')],
          label: this.label === 'scores' ? [scorePos, scoreNeg] : [scorePos - scoreNeg],
          id: `${qid}:${pos}:${neg}`,
        };
      });
      if (record !== undefined) yield record;
    }
  }
}
