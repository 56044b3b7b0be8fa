import { InputError } from '@sbert/core';
import { checkKList, describe } from '../internal/validate.js';

/** One retrieved document for a query. */
export interface RetrievalHit {
  corpusId: string;
  score: number;
}

/** The cut-offs at which each metric is computed; defaults as sentence-transformers. */
export interface InformationRetrievalKs {
  /** Default [1, 3, 5, 10]. */
  accuracyAtK?: readonly number[];
  /** Default [1, 3, 5, 10]. */
  precisionRecallAtK?: readonly number[];
  /** Default [10]. */
  mrrAtK?: readonly number[];
  /** Default [10]. */
  ndcgAtK?: readonly number[];
  /** Default [100]. */
  mapAtK?: readonly number[];
}

/** The ks with every default filled in. */
export type ResolvedInformationRetrievalKs = { [K in keyof InformationRetrievalKs]-?: readonly number[] };

/** Mean over queries of each metric at each k, keyed by k. */
export interface InformationRetrievalMetrics {
  accuracyAtK: Map<number, number>;
  precisionAtK: Map<number, number>;
  recallAtK: Map<number, number>;
  ndcgAtK: Map<number, number>;
  mrrAtK: Map<number, number>;
  mapAtK: Map<number, number>;
}

/** One query to score: its retrieved hits (any order) and its relevant document ids. */
export interface QueryJudgement {
  hits: readonly RetrievalHit[];
  relevant: ReadonlySet<string> | readonly string[];
}

/** Fills in sentence-transformers' default ks and validates them. */
export function resolveKs(ks: InformationRetrievalKs = {}, fn = 'InformationRetrieval'): ResolvedInformationRetrievalKs {
  const out: ResolvedInformationRetrievalKs = {
    accuracyAtK: ks.accuracyAtK ?? [1, 3, 5, 10],
    precisionRecallAtK: ks.precisionRecallAtK ?? [1, 3, 5, 10],
    mrrAtK: ks.mrrAtK ?? [10],
    ndcgAtK: ks.ndcgAtK ?? [10],
    mapAtK: ks.mapAtK ?? [100],
  };
  for (const [field, list] of Object.entries(out)) checkKList(fn, field, list);
  return out;
}

/**
 * Compares strings by Unicode code point, like Python's `<` on `str` (JavaScript's `<` compares
 * UTF-16 code units, which differs for characters beyond U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = (ca.value.codePointAt(0) as number) - (cb.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

/**
 * "Is `a` ranked before `b`?" in sentence-transformers' total order: higher score first, ties
 * broken by ascending corpus id (compared as strings).
 */
export function ranksBefore(a: RetrievalHit, b: RetrievalHit): boolean {
  return a.score > b.score || (a.score === b.score && compareCodePoints(a.corpusId, b.corpusId) < 0);
}

/** A sorted copy: descending score, ties by ascending corpus id (`key=(-score, corpus_id)`). */
export function sortHits(hits: readonly RetrievalHit[]): RetrievalHit[] {
  return [...hits].sort((a, b) => b.score - a.score || compareCodePoints(a.corpusId, b.corpusId));
}

/** 1 if any of the first k ranked ids is relevant, else 0. */
export function accuracyAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i] as string)) return 1;
  return 0;
}

/** Number of relevant ids among the first k. */
function correctAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let c = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i] as string)) c++;
  return c;
}

/** (#relevant in the first k) / k — k, not the number of hits, even when fewer were retrieved. */
export function precisionAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return correctAtK(ranked, relevant, k) / k;
}

/** (#relevant in the first k) / |relevant|. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return correctAtK(ranked, relevant, k) / relevant.size;
}

/** 1 / (1-based rank of the first relevant id), counted within the first k only; else 0. */
export function reciprocalRankAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (relevant.has(ranked[i] as string)) return 1 / (i + 1);
  return 0;
}

/**
 * nDCG@k with binary gains: `DCG = Σ_{i<k} rel_i / log2(i + 2)` over the ranking, divided by the
 * DCG of `min(|relevant|, k)` relevant documents at the top.
 */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    if (relevant.has(ranked[i] as string)) dcg += 1 / Math.log2(i + 2);
  }
  let idcg = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/**
 * Average precision at k as sentence-transformers defines it:
 * `Σ_{relevant hits at rank r ≤ k} (#relevant within ranks 1..r) / r`, divided by `min(k, |relevant|)`.
 */
export function averagePrecisionAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let correct = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    if (relevant.has(ranked[i] as string)) {
      correct++;
      sum += correct / (i + 1);
    }
  }
  return sum / Math.min(k, relevant.size);
}

/**
 * Sentence-transformers' `InformationRetrievalEvaluator.compute_metrics`: per query, sort the hits
 * ({@link sortHits}), compute accuracy@k, precision@k, recall@k, MRR@k, nDCG@k and MAP@k
 * ({@link accuracyAtK} … {@link averagePrecisionAtK}), then average over the queries.
 *
 * Every query must have at least one relevant id (the evaluator leaves out queries that have
 * none, as sentence-transformers does). Unlike BEIR, a hit whose id equals the query id is kept.
 *
 * @throws InputError when there are no queries, a query has no relevant ids, a k is not a
 * positive integer, or a hit has a non-finite score.
 */
export function computeInformationRetrievalMetrics(
  queries: readonly QueryJudgement[],
  ks: InformationRetrievalKs = {},
): InformationRetrievalMetrics {
  const fn = 'computeInformationRetrievalMetrics';
  const k = resolveKs(ks, fn);
  if (queries.length === 0) throw new InputError(`${fn}: queries is empty; expected at least one query`);
  const sums = {
    accuracyAtK: new Map(k.accuracyAtK.map((v) => [v, 0])),
    precisionAtK: new Map(k.precisionRecallAtK.map((v) => [v, 0])),
    recallAtK: new Map(k.precisionRecallAtK.map((v) => [v, 0])),
    ndcgAtK: new Map(k.ndcgAtK.map((v) => [v, 0])),
    mrrAtK: new Map(k.mrrAtK.map((v) => [v, 0])),
    mapAtK: new Map(k.mapAtK.map((v) => [v, 0])),
  };
  const add = (m: Map<number, number>, key: number, v: number) => m.set(key, (m.get(key) as number) + v);

  queries.forEach((q, qi) => {
    const relevant = q.relevant instanceof Set ? q.relevant : new Set(q.relevant as readonly string[]);
    if (relevant.size === 0) {
      throw new InputError(`${fn}: queries[${qi}].relevant is empty; expected at least one relevant id`);
    }
    q.hits.forEach((h, hi) => {
      if (typeof h.score !== 'number' || !Number.isFinite(h.score)) {
        throw new InputError(`${fn}: queries[${qi}].hits[${hi}].score is ${describe(h.score)}; expected a finite number`);
      }
    });
    const ranked = sortHits(q.hits).map((h) => h.corpusId);
    for (const v of k.accuracyAtK) add(sums.accuracyAtK, v, accuracyAtK(ranked, relevant, v));
    for (const v of k.precisionRecallAtK) {
      add(sums.precisionAtK, v, precisionAtK(ranked, relevant, v));
      add(sums.recallAtK, v, recallAtK(ranked, relevant, v));
    }
    for (const v of k.mrrAtK) add(sums.mrrAtK, v, reciprocalRankAtK(ranked, relevant, v));
    for (const v of k.ndcgAtK) add(sums.ndcgAtK, v, ndcgAtK(ranked, relevant, v));
    for (const v of k.mapAtK) add(sums.mapAtK, v, averagePrecisionAtK(ranked, relevant, v));
  });

  const mean = (m: Map<number, number>) => new Map([...m].map(([key, s]) => [key, s / queries.length]));
  return {
    accuracyAtK: mean(sums.accuracyAtK),
    precisionAtK: mean(sums.precisionAtK),
    recallAtK: mean(sums.recallAtK),
    ndcgAtK: mean(sums.ndcgAtK),
    mrrAtK: mean(sums.mrrAtK),
    mapAtK: mean(sums.mapAtK),
  };
}
