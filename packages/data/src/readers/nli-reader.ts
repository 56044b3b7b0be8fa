import { DataError, InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { Malformed, parseClassLabel, requireText, show } from './malformed.js';
import { RecordReader, type ReaderOptions } from './record-reader.js';
import { sniffJsonLines } from '../io/sniff-json-lines.js';

/**
 * Label names in id order: entailment 0, neutral 1, contradiction 2 — the SNLI / MNLI
 * convention used by the Hugging Face NLI datasets and sentence-transformers/all-nli.
 */
export const NLI_LABELS = ['entailment', 'neutral', 'contradiction'] as const;

export interface NliReaderOptions extends ReaderOptions {
  /** 'jsonl', 'tsv', or 'auto' (default): JSON Lines when the first character is `{`. */
  format?: 'auto' | 'jsonl' | 'tsv';
  /** Label names in id order. Default {@link NLI_LABELS}. */
  labelNames?: readonly string[];
  /** Label values that mark "no gold label" rows, dropped and counted in `stats.excluded` as `label:<value>`. Default ['-'] (OCNLI, SNLI). */
  excludeLabels?: readonly string[];
  /**
   * Where premise, hypothesis and label are. JSONL: field names, default sentence1 /
   * sentence2 / label (OCNLI, SNLI jsonl; SNLI's gold label is `gold_label`). TSV: column
   * indexes (default 0, 1, 2) or header names (then line 1 must be a header).
   */
  fields?: { premise?: string | number; hypothesis?: string | number; label?: string | number };
  /**
   * TSV only: whether line 1 is a header. Default: true when a field is given by name, or
   * when line 1's label cell is literally `label` or `gold_label`.
   */
  header?: boolean;
}

/**
 * Reads natural-language-inference pairs (premise, hypothesis, label) from JSON Lines (OCNLI,
 * SNLI/MNLI jsonl) or TSV, mapping label names to ids. Rows whose label is one of
 * `excludeLabels` (OCNLI's `-`, "no majority") are not errors: they are dropped and counted
 * in `stats.excluded`.
 *
 * Yields `{ texts: [premise, hypothesis], label: id }`, the input of SoftmaxLoss. A label may
 * also be given as its integer id. For the (anchor, entailment, contradiction) triplets used
 * with in-batch negatives see {@link NliTripletReader} and {@link nliTripletsFromPairs}.
 *
 * @example
 * const dev = new NliReader('nli/ocnli/dev.json');   // 2,950 pairs; dev.stats.excluded → { 'label:-': 50 }
 */
export class NliReader extends RecordReader<InputExample> {
  readonly format: 'auto' | 'jsonl' | 'tsv';
  readonly labelNames: readonly string[];
  readonly excludeLabels: readonly string[];
  private readonly fieldOption: NliReaderOptions['fields'];
  private readonly header: boolean | undefined;

  constructor(file: string, options: NliReaderOptions = {}) {
    super(file, options);
    this.format = options.format ?? 'auto';
    if (!['auto', 'jsonl', 'tsv'].includes(this.format)) {
      throw new InputError(`format must be 'auto', 'jsonl' or 'tsv', got ${String(this.format)}`);
    }
    this.labelNames = options.labelNames ?? NLI_LABELS;
    if (this.labelNames.length < 2 || new Set(this.labelNames).size !== this.labelNames.length) {
      throw new InputError(`labelNames must hold at least 2 distinct names, got ${show(this.labelNames)}`);
    }
    this.excludeLabels = options.excludeLabels ?? ['-'];
    this.fieldOption = options.fields;
    this.header = options.header;
  }

  /** Maps a raw label to its id; throws Malformed for unknown ones. */
  private labelId(raw: unknown): number {
    if (typeof raw === 'string') {
      const id = this.labelNames.indexOf(raw.trim());
      if (id >= 0) return id;
      if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
        throw new Malformed('unparsable-label', `label ${show(raw)} is not one of ${this.labelNames.join(', ')} (or an id 0..${this.labelNames.length - 1})`);
      }
    }
    if (raw === undefined || raw === null) throw new Malformed('missing-field', `missing label: expected one of ${this.labelNames.join(', ')}`);
    return parseClassLabel(raw, this.labelNames.length);
  }

  private isExcluded(raw: unknown): boolean {
    return typeof raw === 'string' && this.excludeLabels.includes(raw.trim());
  }

  /** Field names / indexes with the defaults of the given format filled in. */
  private fieldSpec(isJson: boolean) {
    const f = this.fieldOption;
    const spec = {
      premise: f?.premise ?? (isJson ? 'sentence1' : 0),
      hypothesis: f?.hypothesis ?? (isJson ? 'sentence2' : 1),
      label: f?.label ?? (isJson ? 'label' : 2),
    };
    if (isJson && Object.values(spec).some((v) => typeof v !== 'string')) {
      throw new InputError(`${this.file}: JSONL fields must be given by name, got ${show(f)}`);
    }
    return spec;
  }

  protected async *read(): AsyncGenerator<InputExample> {
    const isJson = this.format === 'auto' ? await sniffJsonLines(this.file) : this.format === 'jsonl';
    if (isJson) {
      const { premise, hypothesis, label } = this.fieldSpec(true) as { premise: string; hypothesis: string; label: string };
      for await (const { line, value } of this.jsonObjects()) {
        const rawLabel = value[label];
        if (this.isExcluded(rawLabel)) {
          this.exclude(`label:${String(rawLabel).trim()}`);
          continue;
        }
        const record = this.attempt(line, () => ({
          texts: [requireText(value[premise], `"${premise}"`), requireText(value[hypothesis], `"${hypothesis}"`)],
          label: this.labelId(rawLabel),
        }));
        if (record !== undefined) yield record;
      }
      return;
    }
    yield* this.readTsv();
  }

  private async *readTsv(): AsyncGenerator<InputExample> {
    const spec = this.fieldSpec(false);
    const byName = Object.values(spec).some((f) => typeof f === 'string');
    let index: { premise: number; hypothesis: number; label: number; count: number } | undefined = byName
      ? undefined
      : { premise: spec.premise as number, hypothesis: spec.hypothesis as number, label: spec.label as number, count: 0 };
    let first = true;
    for await (const { line, fields } of this.rows()) {
      if (first) {
        first = false;
        const labelCell = index === undefined ? undefined : fields[index.label]?.trim().toLowerCase();
        const isHeader = this.header ?? (byName || labelCell === 'label' || labelCell === 'gold_label');
        if (isHeader) {
          index = this.resolveHeader(line, fields, spec);
          continue;
        }
        if (index === undefined) throw new DataError(this.file, line, 'fields given by name need a header line');
      }
      const at = index!;
      const expected = at.count || Math.max(at.premise, at.hypothesis, at.label) + 1;
      if (fields.length < expected || (at.count > 0 && fields.length !== at.count)) {
        this.malformed(line, 'column-count', `expected ${at.count > 0 ? at.count : `at least ${expected}`} tab-separated columns, got ${fields.length}`);
        continue;
      }
      const rawLabel = fields[at.label];
      if (this.isExcluded(rawLabel)) {
        this.exclude(`label:${String(rawLabel).trim()}`);
        continue;
      }
      const record = this.attempt(line, () => ({
        texts: [requireText(fields[at.premise], 'premise'), requireText(fields[at.hypothesis], 'hypothesis')],
        label: this.labelId(rawLabel),
      }));
      if (record !== undefined) yield record;
    }
  }

  private resolveHeader(line: number, header: string[], spec: { premise: string | number; hypothesis: string | number; label: string | number }) {
    const resolve = (f: string | number, role: string): number => {
      if (typeof f === 'number') return f;
      const i = header.indexOf(f);
      if (i < 0) throw new DataError(this.file, line, `header lacks the ${role} column "${f}"; got ${header.join(', ')}`);
      return i;
    };
    return {
      premise: resolve(spec.premise, 'premise'),
      hypothesis: resolve(spec.hypothesis, 'hypothesis'),
      label: resolve(spec.label, 'label'),
      count: header.length,
    };
  }
}
