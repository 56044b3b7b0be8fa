import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { Malformed, parseNumber, requireText } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';

export interface HardNegativesReaderOptions extends ReaderOptions {
  /**
   * Keep the first `numNegatives` negatives of each line, so every record has the same number
   * of texts (a batch needs that); lines with fewer are malformed (`length-mismatch`).
   * Default: all negatives of each line.
   */
  numNegatives?: number;
  /**
   * The label: 'scores' (default) `[posScore, negScore1..k]`, the raw teacher scores;
   * 'margins' `[posScore − negScore_i]`; 'none' no label (for MultipleNegativesRankingLoss
   * with hard negatives; scores are then not required).
   */
  label?: 'scores' | 'margins' | 'none';
}

/**
 * Reads queries with mined hard negatives and teacher scores in the JSONL layout of BGE /
 * FlagEmbedding: `{"query": str, "pos": [str], "neg": [str], "pos_scores": [num], "neg_scores": [num]}`
 * (other keys such as `prompt` and `type` are ignored).
 *
 * Yields one record per positive: `{ texts: [query, pos_i, neg_1..neg_k], label: [posScore_i, negScore_1..k] }`
 * — the MarginMSELoss input (raw scores, converted to margins by the loss; or margins
 * directly with `label: 'margins'`).
 */
export class HardNegativesReader extends RecordReader<InputExample> {
  readonly numNegatives: number | undefined;
  readonly label: 'scores' | 'margins' | 'none';

  constructor(file: string, options: HardNegativesReaderOptions = {}) {
    super(file, options);
    this.numNegatives = options.numNegatives;
    if (this.numNegatives !== undefined && !(Number.isInteger(this.numNegatives) && this.numNegatives >= 1)) {
      throw new InputError(`numNegatives must be a positive integer, got ${this.numNegatives}`);
    }
    this.label = options.label ?? 'scores';
    if (!['scores', 'margins', 'none'].includes(this.label)) {
      throw new InputError(`label must be 'scores', 'margins' or 'none', got ${String(this.label)}`);
    }
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const withScores = this.label !== 'none';
    for await (const { line, value } of this.jsonObjects()) {
      const records = this.attempt(line, () => {
        const query = requireText(value['query'], '"query"');
        const pos = textList(value['pos'], 'pos');
        let neg = textList(value['neg'], 'neg');
        let posScores: number[] = [];
        let negScores: number[] = [];
        if (withScores) {
          posScores = scoreList(value['pos_scores'], 'pos_scores', pos.length, 'pos');
          negScores = scoreList(value['neg_scores'], 'neg_scores', neg.length, 'neg');
        }
        if (this.numNegatives !== undefined) {
          if (neg.length < this.numNegatives) {
            throw new Malformed('length-mismatch', `"neg" has ${neg.length} negatives, fewer than numNegatives = ${this.numNegatives}`);
          }
          neg = neg.slice(0, this.numNegatives);
          negScores = negScores.slice(0, this.numNegatives);
        }
        return pos.map((p, i): InputExample => {
          const texts = [query, p, ...neg];
          if (!withScores) return { texts };
          const posScore = posScores[i]!;
          const label = this.label === 'scores' ? [posScore, ...negScores] : negScores.map((n) => posScore - n);
          return { texts, label };
        });
      });
      if (records !== undefined) yield* records;
    }
  }
}

function textList(value: unknown, key: string): string[] {
  if (value === undefined) throw new Malformed('missing-field', `missing "${key}": expected a non-empty array of strings`);
  if (!Array.isArray(value) || value.length === 0) {
    throw new Malformed('missing-field', `"${key}" must be a non-empty array of strings`);
  }
  return value.map((v, i) => requireText(v, `"${key}"[${i}]`));
}

function scoreList(value: unknown, key: string, expected: number, of: string): number[] {
  if (value === undefined) throw new Malformed('missing-field', `missing "${key}": expected ${expected} teacher scores (one per "${of}")`);
  if (!Array.isArray(value)) throw new Malformed('missing-field', `"${key}" must be an array of numbers`);
  if (value.length !== expected) {
    throw new Malformed('length-mismatch', `"${key}" has ${value.length} scores but "${of}" has ${expected} texts`);
  }
  return value.map((v, i) => parseNumber(v, `"${key}"[${i}]`));
}
