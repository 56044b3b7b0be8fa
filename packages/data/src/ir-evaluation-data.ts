import { InputError } from '@sbert/core';
import { loadIdTextMap } from './readers/id-text-reader.js';
import { QrelsReader } from './readers/qrels-reader.js';
import type { ReaderOptions } from './readers/record-reader.js';

/** The inputs of an information-retrieval evaluator (sentence-transformers' InformationRetrievalEvaluator). */
export interface IrEvaluationData {
  /** qid → query text; only queries with at least one relevant document (as the evaluator uses). */
  queries: Map<string, string>;
  /** pid → passage text. */
  corpus: Map<string, string>;
  /** qid → ids of the documents judged relevant (relevance ≥ minRelevance). */
  relevantDocs: Map<string, Set<string>>;
  /** What was left out, so a mismatch between the files is visible. */
  stats: {
    /** Queries in the queries file with no relevant document (dropped). */
    queriesWithoutRelevant: number;
    /** Judgements below minRelevance. */
    belowMinRelevance: number;
    /** Relevant judgements whose query is not in the queries file (dropped). */
    unknownQueries: number;
    /** Relevant documents absent from the corpus (kept: they count as misses). */
    relevantNotInCorpus: number;
  };
}

export interface IrEvaluationFiles {
  /** `qid<TAB>query` (MS MARCO queries / TREC topics). */
  queries: string;
  /** `pid<TAB>passage` (MS MARCO collection.tsv or a subset). */
  corpus: string;
  /** qrels, TREC (`qid iter pid rel`) or 3-field layout. */
  qrels: string;
}

export interface IrEvaluationOptions extends ReaderOptions {
  /**
   * Lowest relevance counted as relevant. Default 1. TREC DL passage judgements are graded
   * 0–3 and binary metrics on them usually take 2 as the threshold.
   */
  minRelevance?: number;
}

/**
 * Loads queries, corpus and qrels into the maps an IR evaluator takes. Queries without any
 * relevant document are dropped (the evaluator ignores them; e.g. only 54 of the 200 TREC DL
 * 2020 topics are judged). Relevant documents missing from the corpus are kept — the
 * evaluator then cannot retrieve them — and counted in `stats`.
 */
export async function loadIrEvaluationData(files: IrEvaluationFiles, options: IrEvaluationOptions = {}): Promise<IrEvaluationData> {
  const minRelevance = options.minRelevance ?? 1;
  if (!Number.isFinite(minRelevance)) throw new InputError(`minRelevance must be a number, got ${minRelevance}`);
  const { minRelevance: _ignored, ...readerOptions } = options;
  const allQueries = await loadIdTextMap(files.queries, readerOptions);
  const corpus = await loadIdTextMap(files.corpus, readerOptions);
  const relevantDocs = new Map<string, Set<string>>();
  const stats = { queriesWithoutRelevant: 0, belowMinRelevance: 0, unknownQueries: 0, relevantNotInCorpus: 0 };
  for await (const { queryId, docId, relevance } of new QrelsReader(files.qrels, readerOptions)) {
    if (relevance < minRelevance) {
      stats.belowMinRelevance++;
      continue;
    }
    if (!allQueries.has(queryId)) {
      stats.unknownQueries++;
      continue;
    }
    let docs = relevantDocs.get(queryId);
    if (docs === undefined) {
      docs = new Set();
      relevantDocs.set(queryId, docs);
    }
    if (!docs.has(docId) && !corpus.has(docId)) stats.relevantNotInCorpus++;
    docs.add(docId);
  }
  const queries = new Map<string, string>();
  for (const [qid, text] of allQueries) {
    if (relevantDocs.has(qid)) queries.set(qid, text);
    else stats.queriesWithoutRelevant++;
  }
  return { queries, corpus, relevantDocs, stats };
}
