import { InputError } from '@sbert/core';
import { dot, l2Norm, similarityFn, SIMILARITY_FN_NAMES, type SimilarityFnName } from '../internal/similarity.js';
import { TopK } from '../internal/top-k.js';
import { describe } from '../internal/validate.js';
import {
  computeInformationRetrievalMetrics,
  type InformationRetrievalKs,
  type InformationRetrievalMetrics,
  type ResolvedInformationRetrievalKs,
  type RetrievalHit,
  ranksBefore,
  resolveKs,
} from '../metrics/information-retrieval-metrics.js';
import {
  type BaseEvaluatorOptions,
  type EvaluateOptions,
  type Metrics,
  type SentenceEncoder,
  SentenceEvaluator,
  modelSimilarityFnName,
} from './sentence-evaluator.js';

/** torch.nn.functional.normalize's epsilon, as in cosine(). */
const NORM_EPS = 1e-12;

/** A query–document score, higher = more relevant (embeddings are (D) each). */
export type ScoreFunction = (query: Float32Array, document: Float32Array) => number;

/** id → text, as an object, a Map, or [id, text] pairs (Maps and pairs keep numeric-looking ids in order). */
export type TextsById = Record<string, string> | ReadonlyMap<string, string> | ReadonlyArray<readonly [string, string]>;

/** Options of {@link InformationRetrievalEvaluator}; defaults as sentence-transformers. */
export interface InformationRetrievalEvaluatorOptions extends BaseEvaluatorOptions, InformationRetrievalKs {
  queries: TextsById;
  corpus: TextsById;
  /** query id → ids of its relevant documents. Queries without any are not evaluated. */
  relevantDocs: Record<string, Iterable<string>> | ReadonlyMap<string, Iterable<string>>;
  /** Documents embedded and scored at a time; memory is O(chunk · D + queries · maxK). Default 50000. */
  corpusChunkSize?: number;
  /** Default 32. */
  batchSize?: number;
  /**
   * name → score function: a similarity name (euclidean / manhattan score as negative distances)
   * or a function. Default: `{ [model.similarityFnName]: that similarity }`, resolved per evaluate().
   */
  scoreFunctions?: Record<string, SimilarityFnName | ScoreFunction>;
  /** The score function whose nDCG@max(ndcgAtK) is the primary metric. */
  mainScoreFunction?: string;
}

/**
 * Retrieval quality of query and document embeddings: sentence-transformers'
 * InformationRetrievalEvaluator.
 *
 * Queries are embedded once; the corpus is embedded `corpusChunkSize` documents at a time and
 * searched exhaustively, keeping per query the best `maxK` hits (over all ks) in a bounded
 * min-heap under ST's total order: higher score first, ties by ascending corpus id (string
 * order), so results do not depend on the chunk size. A document whose id equals the query id
 * is not skipped. Metrics per score function `fn` ({@link computeInformationRetrievalMetrics}):
 * `<fn>_accuracy@k`, `<fn>_precision@k`, `<fn>_recall@k`, `<fn>_ndcg@k`, `<fn>_mrr@k`,
 * `<fn>_map@k`. Primary metric: `<mainScoreFunction>_ndcg@<max ndcg k>`, else the function
 * with the highest such nDCG. Results are appended to
 * `Information-Retrieval_evaluation[_<name>]_results.csv` (columns like `cosine-Accuracy@1`).
 * Not supported: query/corpus prompts, precomputed corpus embeddings, writing predictions.
 *
 * @example
 * const ev = new InformationRetrievalEvaluator({ queries, corpus, relevantDocs, name: 'msmarco' });
 * const m = await ev.evaluate(model); // { msmarco_cosine_accuracy@1: 0.52, …, msmarco_cosine_ndcg@10: 0.61, … }
 */
export class InformationRetrievalEvaluator extends SentenceEvaluator {
  readonly queryIds: string[];
  readonly queries: string[];
  readonly corpusIds: string[];
  readonly corpus: string[];
  readonly relevantDocs: ReadonlyMap<string, ReadonlySet<string>>;
  readonly corpusChunkSize: number;
  readonly batchSize: number;
  readonly ks: ResolvedInformationRetrievalKs;
  readonly mainScoreFunction: string | undefined;
  private readonly givenScoreFunctions: Record<string, SimilarityFnName | ScoreFunction> | undefined;
  /** Score function names of the last evaluation (sorted, as ST's CSV columns). */
  private scoreFunctionNames: string[] = [];

  constructor(options: InformationRetrievalEvaluatorOptions) {
    super(options);
    const who = 'InformationRetrievalEvaluator';
    const { corpusChunkSize = 50000, batchSize = 32, scoreFunctions, mainScoreFunction } = options;
    this.ks = resolveKs(options, who);
    const queries = entries(who, 'queries', options.queries);
    const corpus = entries(who, 'corpus', options.corpus);
    this.relevantDocs = relevantMap(who, options.relevantDocs);
    // Only queries with at least one relevant document are evaluated, in the given order.
    const kept = queries.filter(([id]) => (this.relevantDocs.get(id)?.size ?? 0) > 0);
    if (kept.length === 0) {
      throw new InputError(`${who}: no query has a relevant document in relevantDocs; expected at least one`);
    }
    if (corpus.length === 0) throw new InputError(`${who}: corpus is empty; expected at least one document`);
    this.queryIds = kept.map(([id]) => id);
    this.queries = kept.map(([, text]) => text);
    this.corpusIds = corpus.map(([id]) => id);
    this.corpus = corpus.map(([, text]) => text);
    for (const [field, v] of [['corpusChunkSize', corpusChunkSize], ['batchSize', batchSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new InputError(`${who}: ${field} is ${describe(v)}; expected a positive integer`);
    }
    this.corpusChunkSize = corpusChunkSize;
    this.batchSize = batchSize;
    if (scoreFunctions !== undefined) {
      if (scoreFunctions === null || typeof scoreFunctions !== 'object' || Object.keys(scoreFunctions).length === 0) {
        throw new InputError(`${who}: scoreFunctions must be a non-empty object of name → function or similarity name`);
      }
      for (const [k, f] of Object.entries(scoreFunctions)) {
        if (typeof f !== 'function' && !SIMILARITY_FN_NAMES.includes(f)) {
          throw new InputError(`${who}: scoreFunctions.${k} is ${describe(f)}; expected a function or one of ${SIMILARITY_FN_NAMES.join(', ')}`);
        }
      }
      this.scoreFunctionNames = Object.keys(scoreFunctions).sort();
    }
    this.givenScoreFunctions = scoreFunctions;
    if (mainScoreFunction !== undefined) {
      if (scoreFunctions !== undefined && !(mainScoreFunction in scoreFunctions)) {
        throw new InputError(
          `${who}: mainScoreFunction is ${describe(mainScoreFunction)}; expected one of ${Object.keys(scoreFunctions).join(', ')}`,
        );
      }
      this.primaryMetricBase = `${mainScoreFunction}_ndcg@${Math.max(...this.ks.ndcgAtK)}`;
    }
    this.mainScoreFunction = mainScoreFunction;
  }

  /** The largest k of any metric: how many hits per query are kept. */
  get maxK(): number {
    const { accuracyAtK, precisionRecallAtK, mrrAtK, ndcgAtK, mapAtK } = this.ks;
    return Math.max(...accuracyAtK, ...precisionRecallAtK, ...mrrAtK, ...ndcgAtK, ...mapAtK);
  }

  override async evaluate(model: SentenceEncoder, options: EvaluateOptions = {}): Promise<Metrics> {
    const who = 'InformationRetrievalEvaluator';
    let fns: Record<string, SimilarityFnName | ScoreFunction>;
    if (this.givenScoreFunctions) {
      fns = this.givenScoreFunctions;
    } else {
      // As sentence-transformers 6: follow each evaluated model's own similarity.
      const name = modelSimilarityFnName(who, model);
      fns = { [name]: name };
      if (this.scoreFunctionNames.join() !== name) {
        this.scoreFunctionNames = [name];
        if (this.mainScoreFunction === undefined) this.primaryMetricBase = undefined;
      }
    }
    const results = await this.search(model, fns);

    const perFn = new Map<string, InformationRetrievalMetrics>();
    for (const [name, hits] of results) {
      perFn.set(name, computeInformationRetrievalMetrics(
        hits.map((h, i) => ({ hits: h, relevant: this.relevantDocs.get(this.queryIds[i] as string) as ReadonlySet<string> })),
        this.ks,
      ));
    }
    const maxNdcg = Math.max(...this.ks.ndcgAtK);
    if (this.primaryMetricBase === undefined) {
      // The sorted name with the highest nDCG (the first one on ties, like Python's max).
      let best = this.scoreFunctionNames[0] as string;
      for (const n of this.scoreFunctionNames) {
        if (ndcg(perFn, n, maxNdcg) > ndcg(perFn, best, maxNdcg)) best = n;
      }
      this.primaryMetricBase = `${best}_ndcg@${maxNdcg}`;
    }

    const metrics: Metrics = {};
    const { accuracyAtK, precisionRecallAtK, ndcgAtK, mrrAtK, mapAtK } = this.ks;
    for (const [name, m] of perFn) {
      for (const k of accuracyAtK) metrics[`${name}_accuracy@${k}`] = m.accuracyAtK.get(k) as number;
      for (const k of precisionRecallAtK) metrics[`${name}_precision@${k}`] = m.precisionAtK.get(k) as number;
      for (const k of precisionRecallAtK) metrics[`${name}_recall@${k}`] = m.recallAtK.get(k) as number;
      for (const k of ndcgAtK) metrics[`${name}_ndcg@${k}`] = m.ndcgAtK.get(k) as number;
      for (const k of mrrAtK) metrics[`${name}_mrr@${k}`] = m.mrrAtK.get(k) as number;
      for (const k of mapAtK) metrics[`${name}_map@${k}`] = m.mapAtK.get(k) as number;
    }
    const prefixed = this.prefixMetrics(metrics);
    const csvValues = this.scoreFunctionNames.flatMap((name) => {
      const m = perFn.get(name) as InformationRetrievalMetrics;
      return [
        ...accuracyAtK.map((k) => m.accuracyAtK.get(k) as number),
        ...precisionRecallAtK.flatMap((k) => [m.precisionAtK.get(k) as number, m.recallAtK.get(k) as number]),
        ...mrrAtK.map((k) => m.mrrAtK.get(k) as number),
        ...ndcgAtK.map((k) => m.ndcgAtK.get(k) as number),
        ...mapAtK.map((k) => m.mapAtK.get(k) as number),
      ];
    });
    await this.writeResults(options, `Information-Retrieval_evaluation${this.fileSuffix}`, this.csvHeaders, csvValues, prefixed, '\n');
    return prefixed;
  }

  /**
   * Exhaustive search: per score function, per query, the best maxK hits over the whole corpus.
   * Only one corpus chunk of embeddings is alive at a time.
   */
  private async search(
    model: SentenceEncoder,
    fns: Record<string, SimilarityFnName | ScoreFunction>,
  ): Promise<Map<string, RetrievalHit[][]>> {
    const queryEmb = await this.embed(model, this.queries, this.batchSize, 'queries'); // Q × (D)
    const queryNorms = queryEmb.map(l2Norm);
    const maxK = this.maxK;
    const heaps = new Map(
      Object.keys(fns).map((name) => [name, queryEmb.map(() => new TopK<RetrievalHit>(maxK, ranksBefore))]),
    );
    for (let start = 0; start < this.corpus.length; start += this.corpusChunkSize) {
      const end = Math.min(start + this.corpusChunkSize, this.corpus.length);
      const docEmb = await this.embed(model, this.corpus.slice(start, end), this.batchSize, `corpus[${start}:${end}]`); // C × (D)
      if ((docEmb[0] as Float32Array).length !== (queryEmb[0] as Float32Array).length) {
        throw new InputError(
          `InformationRetrievalEvaluator: corpus embeddings have dimension ${(docEmb[0] as Float32Array).length} but query embeddings ${(queryEmb[0] as Float32Array).length}; expected equal`,
        );
      }
      const docNorms = docEmb.map(l2Norm);
      for (const [name, fn] of Object.entries(fns)) {
        const perQuery = heaps.get(name) as TopK<RetrievalHit>[];
        // Cosine reuses the norms (same arithmetic as cosine(q, d), without recomputing them).
        const f = typeof fn === 'function' ? fn : fn === 'cosine' ? undefined : similarityFn(fn);
        queryEmb.forEach((q, qi) => {
          const heap = perQuery[qi] as TopK<RetrievalHit>;
          const qn = Math.max(queryNorms[qi] as number, NORM_EPS);
          for (let d = 0; d < docEmb.length; d++) {
            const doc = docEmb[d] as Float32Array;
            const score = f ? f(q, doc) : dot(q, doc) / (qn * Math.max(docNorms[d] as number, NORM_EPS));
            if (!Number.isFinite(score)) {
              throw new InputError(`InformationRetrievalEvaluator: scoreFunctions.${name} returned ${describe(score)} for query ${this.queryIds[qi]}; expected a finite number`);
            }
            heap.offer({ corpusId: this.corpusIds[start + d] as string, score });
          }
        });
      }
    }
    return new Map([...heaps].map(([name, hs]) => [name, hs.map((h) => h.sorted())]));
  }

  /** The CSV columns, as sentence-transformers writes them. */
  get csvHeaders(): string[] {
    const { accuracyAtK, precisionRecallAtK, mrrAtK, ndcgAtK, mapAtK } = this.ks;
    return [
      'epoch',
      'steps',
      ...this.scoreFunctionNames.flatMap((n) => [
        ...accuracyAtK.map((k) => `${n}-Accuracy@${k}`),
        ...precisionRecallAtK.flatMap((k) => [`${n}-Precision@${k}`, `${n}-Recall@${k}`]),
        ...mrrAtK.map((k) => `${n}-MRR@${k}`),
        ...ndcgAtK.map((k) => `${n}-NDCG@${k}`),
        ...mapAtK.map((k) => `${n}-MAP@${k}`),
      ]),
    ];
  }
}

function ndcg(perFn: Map<string, InformationRetrievalMetrics>, name: string, k: number): number {
  return (perFn.get(name) as InformationRetrievalMetrics).ndcgAtK.get(k) as number;
}

function entries(who: string, field: string, texts: TextsById): [string, string][] {
  let list: [string, string][];
  if (texts instanceof Map) list = [...(texts as ReadonlyMap<string, string>)];
  else if (Array.isArray(texts)) list = texts.map((p) => [p[0], p[1]] as [string, string]);
  else if (texts !== null && typeof texts === 'object') list = Object.entries(texts as Record<string, string>);
  else throw new InputError(`${who}: ${field} must be an object, Map or array of [id, text], got ${describe(texts)}`);
  const seen = new Set<string>();
  for (const [id, text] of list) {
    if (typeof id !== 'string' || typeof text !== 'string') {
      throw new InputError(`${who}: ${field} entry ${describe(id)} → ${describe(text)}; expected string id and string text`);
    }
    if (seen.has(id)) throw new InputError(`${who}: ${field} has the id ${describe(id)} twice; expected unique ids`);
    seen.add(id);
  }
  return list;
}

function relevantMap(
  who: string,
  relevant: InformationRetrievalEvaluatorOptions['relevantDocs'],
): Map<string, ReadonlySet<string>> {
  if (relevant === null || typeof relevant !== 'object') {
    throw new InputError(`${who}: relevantDocs must be an object or Map of query id → document ids, got ${describe(relevant)}`);
  }
  const pairs = relevant instanceof Map ? [...relevant] : Object.entries(relevant);
  return new Map(
    pairs.map(([qid, docs]) => {
      if (docs === null || typeof docs !== 'object' || !(Symbol.iterator in docs)) {
        throw new InputError(`${who}: relevantDocs[${describe(qid)}] is ${describe(docs)}; expected an iterable of document ids`);
      }
      return [qid, new Set(docs as Iterable<string>)];
    }),
  );
}
