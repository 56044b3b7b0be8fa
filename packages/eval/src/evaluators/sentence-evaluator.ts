import { InputError } from '@sbert/core';
import { formatPythonFloat } from '../internal/python-format.js';
import { appendCsvRow, appendJsonLine } from '../internal/results-writer.js';
import { SIMILARITY_FN_NAMES, type SimilarityFnName } from '../internal/similarity.js';
import { describe } from '../internal/validate.js';

export type { SimilarityFnName } from '../internal/similarity.js';

/** Options an evaluator passes to {@link SentenceEncoder.encode}. */
export interface EncodeOptions {
  batchSize?: number;
  normalize?: boolean;
  truncateDim?: number;
  showProgress?: boolean;
}

/**
 * Anything that embeds texts: the structural interface the evaluators need. `@sbert/core`'s
 * SentenceTransformer satisfies it; so does a test double returning fixed vectors.
 */
export interface SentenceEncoder {
  /** One embedding (D) per input text, in input order. */
  encode(texts: string[], options?: EncodeOptions): Promise<Float32Array[]>;
  /** The model's similarity; evaluators default to it (`'cosine'` when absent or null). */
  similarityFnName?: SimilarityFnName | null;
}

/** Where and when an evaluation happens (sentence-transformers' `output_path`, `epoch`, `steps`). */
export interface EvaluateOptions {
  /** Directory to append result files to; nothing is written without it. */
  outputPath?: string;
  /** Default -1 (not during training). */
  epoch?: number;
  /** Default -1 (end of epoch). */
  steps?: number;
}

/** Metric name → value. Keys follow sentence-transformers, e.g. `sts_dev_spearman_cosine`. */
export type Metrics = Record<string, number>;

/** Options every evaluator accepts. */
export interface BaseEvaluatorOptions {
  /** Prefix of every metric key (`${name}_…`) and part of the result file names. Default "". */
  name?: string;
  /** Append a CSV row per evaluation to `outputPath` (sentence-transformers' file name). Default true. */
  writeCsv?: boolean;
  /** Also append `{epoch, steps, primary_metric, metrics}` as a JSON line. Default false. */
  writeJson?: boolean;
  /** Passed to encode as `showProgress`. Default false. */
  showProgressBar?: boolean;
  /** Passed to encode; embeddings longer than this are also cut here. */
  truncateDim?: number;
}

/**
 * Base class of the evaluators (sentence-transformers' `SentenceEvaluator` / `BaseEvaluator`).
 *
 * `evaluate(model)` returns a metrics record; {@link primaryMetric} names the key a trainer
 * should use for model selection, and {@link greaterIsBetter} says which way is better.
 */
export abstract class SentenceEvaluator {
  readonly name: string;
  /** Higher primary metric = better model. True for every evaluator in this package. */
  readonly greaterIsBetter: boolean = true;
  protected readonly writeCsv: boolean;
  protected readonly writeJson: boolean;
  protected readonly showProgressBar: boolean;
  protected readonly truncateDim: number | undefined;
  /** The primary metric without the name prefix, once known. */
  protected primaryMetricBase: string | undefined;

  protected constructor(options: BaseEvaluatorOptions) {
    const { name = '', writeCsv = true, writeJson = false, showProgressBar = false, truncateDim } = options;
    if (typeof name !== 'string') throw new InputError(`${this.constructor.name}: name must be a string, got ${describe(name)}`);
    if (truncateDim !== undefined && (!Number.isInteger(truncateDim) || truncateDim < 1)) {
      throw new InputError(`${this.constructor.name}: truncateDim is ${describe(truncateDim)}; expected a positive integer`);
    }
    this.name = name;
    this.writeCsv = writeCsv;
    this.writeJson = writeJson;
    this.showProgressBar = showProgressBar;
    this.truncateDim = truncateDim;
  }

  /**
   * The fully prefixed primary metric key (e.g. `sts_dev_spearman_cosine`). Known after
   * construction when the similarity functions were given, otherwise after the first evaluate().
   */
  get primaryMetric(): string | undefined {
    return this.primaryMetricBase === undefined ? undefined : this.prefix(this.primaryMetricBase);
  }

  /** Embeds the texts with `model` and scores them. */
  abstract evaluate(model: SentenceEncoder, options?: EvaluateOptions): Promise<Metrics>;

  /** `${name}_${key}` when a name is set (sentence-transformers' prefix_name_to_metrics). */
  protected prefix(key: string): string {
    return this.name ? `${this.name}_${key}` : key;
  }

  protected prefixMetrics(metrics: Metrics): Metrics {
    const out: Metrics = {};
    for (const [k, v] of Object.entries(metrics)) out[this.prefix(k)] = v;
    return out;
  }

  /** Encodes `texts` and checks the model kept its promise: one finite (D) vector per text, equal D. */
  protected async embed(model: SentenceEncoder, texts: string[], batchSize: number, what: string): Promise<Float32Array[]> {
    const options: EncodeOptions = { batchSize, showProgress: this.showProgressBar };
    if (this.truncateDim !== undefined) options.truncateDim = this.truncateDim;
    const out = await model.encode(texts, options);
    const who = `${this.constructor.name}: model.encode(${what})`;
    if (!Array.isArray(out) || out.length !== texts.length) {
      throw new InputError(`${who} returned ${describe(out)}; expected ${texts.length} embeddings`);
    }
    let dim = -1;
    return out.map((e, i) => {
      if (!(e instanceof Float32Array)) throw new InputError(`${who}[${i}] is ${describe(e)}; expected a Float32Array`);
      const v = this.truncateDim !== undefined && e.length > this.truncateDim ? e.subarray(0, this.truncateDim) : e;
      if (dim === -1) dim = v.length;
      if (v.length !== dim || dim === 0) {
        throw new InputError(`${who}[${i}] has dimension ${v.length}; expected ${dim} like the first embedding`);
      }
      for (let j = 0; j < v.length; j++) {
        if (!Number.isFinite(v[j] as number)) {
          throw new InputError(`${who}[${i}][${j}] is ${describe(v[j])}; expected finite embeddings`);
        }
      }
      return v;
    });
  }

  /**
   * Appends the CSV row (header written once) and, if enabled, the JSON line to `outputPath`.
   * CSV numbers are written like Python's str(): integers for epoch/steps, floats for metrics.
   */
  protected async writeResults(
    evaluate: EvaluateOptions,
    fileBase: string,
    csvHeaders: readonly string[],
    csvValues: readonly number[],
    metrics: Metrics,
    eol: '\r\n' | '\n' = '\r\n',
  ): Promise<void> {
    const { outputPath, epoch = -1, steps = -1 } = evaluate;
    if (outputPath === undefined) return;
    if (this.writeCsv) {
      const row = [String(epoch), String(steps), ...csvValues.map(formatPythonFloat)];
      await appendCsvRow(outputPath, `${fileBase}_results.csv`, csvHeaders, row, eol);
    }
    if (this.writeJson) {
      await appendJsonLine(outputPath, `${fileBase}_results.jsonl`, {
        epoch,
        steps,
        primary_metric: this.primaryMetric,
        metrics,
      });
    }
  }

  /** `_${name}` or "" — the name part of sentence-transformers' result file names. */
  protected get fileSuffix(): string {
    return this.name ? `_${this.name}` : '';
  }
}

/** Validates a list of similarity function names. */
export function checkSimilarityFnNames(who: string, field: string, names: readonly unknown[]): SimilarityFnName[] {
  if (!Array.isArray(names)) throw new InputError(`${who}: ${field} must be an array, got ${describe(names)}`);
  for (const n of names) {
    if (!SIMILARITY_FN_NAMES.includes(n as SimilarityFnName)) {
      throw new InputError(`${who}: ${field} contains ${describe(n)}; expected one of ${SIMILARITY_FN_NAMES.join(', ')}`);
    }
  }
  return [...(names as SimilarityFnName[])];
}

/** The model's similarity function name, `'cosine'` when it has none (sentence-transformers' default). */
export function modelSimilarityFnName(who: string, model: SentenceEncoder): SimilarityFnName {
  const name = model.similarityFnName ?? 'cosine';
  return (checkSimilarityFnNames(who, 'model.similarityFnName', [name])[0]) as SimilarityFnName;
}

/** Throws unless `texts` is an array of strings. */
export function checkTexts(who: string, field: string, texts: unknown): asserts texts is string[] {
  if (!Array.isArray(texts)) throw new InputError(`${who}: ${field} must be an array of strings, got ${describe(texts)}`);
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new InputError(`${who}: ${field}[${i}] is ${describe(t)}; expected a string`);
  });
}
