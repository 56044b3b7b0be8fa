/**
 * Paraphrase mining with sentence-transformers' semantics
 * (sentence_transformers/util/retrieval.py `paraphrase_mining`, `paraphrase_mining_embeddings`).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors.js';
import type { EncodeOptions } from '../sentence-transformer.js';
import { checkSimilarityFunction, similarityMatrix, toMatrix, type EmbeddingsLike, type SimilarityFunction } from '../similarity.js';

/** `[score, i, j]` with `i < j`. */
export type ParaphrasePair = [score: number, i: number, j: number];

export interface ParaphraseMiningOptions {
  /**
   * Queries scored at once. Default 1000 (ST: 5000). Only memory depends on the chunk sizes:
   * at most queryChunkSize × corpusChunkSize scores exist at a time.
   */
  queryChunkSize?: number;
  /** Corpus rows scored at once. Default 10 000 (ST: 100 000, sized for a GPU). */
  corpusChunkSize?: number;
  /** Most pairs returned. Default 500 000. */
  maxPairs?: number;
  /** Neighbours considered per sentence. Default 100. */
  topK?: number;
  /** Score function, assumed symmetric. Default cosine. */
  scoreFunction?: SimilarityFunction;
}

function positiveInt(name: string, v: number, allowZero = false): void {
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) throw new InputError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${v}`);
}

/** (score desc, index asc): true when candidate a ranks before b. */
function ranksBefore(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

/**
 * The best `k` (score, index) of a row, kept in a binary heap whose root is the worst kept
 * candidate, so a corpus chunk is scanned in O(cols · log k) without sorting it.
 */
class TopK {
  readonly scores: number[] = [];
  readonly ids: number[] = [];
  constructor(private readonly k: number) {}

  offer(score: number, id: number): void {
    const { scores, ids } = this;
    if (scores.length < this.k) {
      scores.push(score);
      ids.push(id);
      let pos = scores.length - 1;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        // The root must be the worst: move up while we rank after the parent.
        if (!ranksBefore(scores[parent]!, ids[parent]!, scores[pos]!, ids[pos]!)) break;
        this.swap(pos, parent);
        pos = parent;
      }
      return;
    }
    if (this.k === 0 || !ranksBefore(score, id, scores[0]!, ids[0]!)) return;
    scores[0] = score;
    ids[0] = id;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let worst = pos;
      if (l < scores.length && ranksBefore(scores[worst]!, ids[worst]!, scores[l]!, ids[l]!)) worst = l;
      if (r < scores.length && ranksBefore(scores[worst]!, ids[worst]!, scores[r]!, ids[r]!)) worst = r;
      if (worst === pos) break;
      this.swap(pos, worst);
      pos = worst;
    }
  }

  private swap(a: number, b: number): void {
    [this.scores[a], this.scores[b]] = [this.scores[b]!, this.scores[a]!];
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
  }

  /** Kept candidates, best first. */
  sorted(): { id: number; score: number }[] {
    return this.ids.map((id, i) => ({ id, score: this.scores[i]! })).sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

/** Python's tuple order on (score, i, j). */
function tupleLess(a: ParaphrasePair, b: ParaphrasePair): boolean {
  if (a[0] !== b[0]) return a[0] < b[0];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[2] < b[2];
}

/** heapq._siftdown, as CPython implements it (the heap layout decides the order of ties). */
function siftDown(heap: ParaphrasePair[], start: number, pos: number): void {
  const item = heap[pos]!;
  while (pos > start) {
    const parent = (pos - 1) >> 1;
    if (!tupleLess(item, heap[parent]!)) break;
    heap[pos] = heap[parent]!;
    pos = parent;
  }
  heap[pos] = item;
}

/** heapq._siftup, as CPython implements it. */
function siftUp(heap: ParaphrasePair[], pos: number): void {
  const end = heap.length;
  const start = pos;
  const item = heap[pos]!;
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !tupleLess(heap[child]!, heap[right]!)) child = right;
    heap[pos] = heap[child]!;
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = item;
  siftDown(heap, start, pos);
}

function heapPush(heap: ParaphrasePair[], item: ParaphrasePair): void {
  heap.push(item);
  siftDown(heap, 0, heap.length - 1);
}

function heapPushPop(heap: ParaphrasePair[], item: ParaphrasePair): ParaphrasePair {
  if (heap.length > 0 && tupleLess(heap[0]!, item)) {
    const smallest = heap[0]!;
    heap[0] = item;
    siftUp(heap, 0);
    return smallest;
  }
  return item;
}

/**
 * paraphrase_mining_embeddings: the pairs of rows with the highest scores, as
 * `[score, i, j]` (i < j), highest score first.
 *
 * For every row i, its `topK + 1` best-scoring rows over the whole set are found (ties: lower
 * index first), i itself is dropped, and the first `topK` remaining neighbours j are offered to
 * a min-heap of at most `maxPairs` pairs keyed `(min(i,j), max(i,j))`: a pair already queued
 * is skipped; once the heap is full, each new pair evicts the lowest (score, i, j) tuple (which
 * may be the new pair itself), and scores ≤ the last evicted score are skipped from then on.
 * The heap is finally sorted by score descending (stable, so tied scores keep the heap's
 * order, as in Python).
 *
 * Reference: `sentence_transformers.util.paraphrase_mining_embeddings` (6.x, which keeps each
 * row's top-k across corpus chunks, so the result does not depend on the chunk sizes).
 */
export function paraphraseMiningEmbeddings(embeddings: EmbeddingsLike, options: ParaphraseMiningOptions = {}): ParaphrasePair[] {
  const queryChunk = options.queryChunkSize ?? 1000;
  const corpusChunk = options.corpusChunkSize ?? 10_000;
  const maxPairs = options.maxPairs ?? 500_000;
  const topK = options.topK ?? 100;
  positiveInt('queryChunkSize', queryChunk);
  positiveInt('corpusChunkSize', corpusChunk);
  positiveInt('maxPairs', maxPairs, true);
  positiveInt('topK', topK, true);
  const fn = checkSimilarityFunction(options.scoreFunction ?? 'cosine');
  if (embeddings instanceof tf.Tensor ? embeddings.size === 0 : embeddings.length === 0) return [];

  const E = toMatrix(embeddings, 'embeddings');
  const n = E.shape[0];
  const k = Math.min(topK + 1, n);
  const heap: ParaphrasePair[] = [];
  const queued = new Set<number>();
  let minScore = -Infinity;
  try {
    for (let q0 = 0; q0 < n; q0 += queryChunk) {
      const qn = Math.min(queryChunk, n - q0);
      const best = Array.from({ length: qn }, () => new TopK(k));
      for (let c0 = 0; c0 < n; c0 += corpusChunk) {
        const cn = Math.min(corpusChunk, n - c0);
        // (qn, cn) scores of this query chunk against this corpus chunk.
        const scores = tf.tidy(() => similarityMatrix(E.slice([q0, 0], [qn, -1]), E.slice([c0, 0], [cn, -1]), fn).dataSync() as Float32Array);
        for (let r = 0; r < qn; r++) {
          const top = best[r]!;
          const row = scores.subarray(r * cn, (r + 1) * cn);
          for (let c = 0; c < cn; c++) top.offer(row[c]!, c0 + c);
        }
      }
      for (let r = 0; r < qn; r++) {
        const i = q0 + r;
        const neighbours = best[r]!.sorted().filter((h) => h.id !== i).slice(0, topK);
        for (const { id: j, score } of neighbours) {
          if (score <= minScore) continue;
          const a = Math.min(i, j);
          const b = Math.max(i, j);
          const key = a * n + b;
          if (queued.has(key)) continue;
          queued.add(key);
          const pair: ParaphrasePair = [score, a, b];
          if (heap.length < maxPairs) {
            heapPush(heap, pair);
          } else {
            const evicted = heapPushPop(heap, pair);
            queued.delete(evicted[1] * n + evicted[2]);
            minScore = evicted[0];
          }
        }
      }
    }
  } finally {
    E.dispose();
  }
  return heap.slice().sort((x, y) => y[0] - x[0]);
}

/** Anything that embeds texts like SentenceTransformer.encode. */
export interface SentenceEncoderLike {
  encode(texts: readonly string[], options?: EncodeOptions & { precision?: 'float32' }): Promise<Float32Array[]>;
}

export interface ParaphraseMiningEncodeOptions extends ParaphraseMiningOptions {
  /** Default 32. */
  batchSize?: number;
  showProgress?: boolean;
  truncateDim?: number;
  prompt?: string;
  promptName?: string;
}

/**
 * paraphrase_mining: encodes `sentences` with the model, then runs
 * {@link paraphraseMiningEmbeddings}. Returns `[score, i, j]` with i < j, best first.
 *
 * ```ts
 * const pairs = await paraphraseMining(model, ['A man eats.', 'A cat sleeps.', 'Someone is eating.'], { topK: 5 });
 * // [[0.83, 0, 2], [0.12, 0, 1], ...]
 * ```
 */
export async function paraphraseMining(model: SentenceEncoderLike, sentences: readonly string[], options: ParaphraseMiningEncodeOptions = {}): Promise<ParaphrasePair[]> {
  const encodeOptions: EncodeOptions & { precision?: 'float32' } = { batchSize: options.batchSize ?? 32 };
  if (options.showProgress !== undefined) encodeOptions.showProgress = options.showProgress;
  if (options.truncateDim !== undefined) encodeOptions.truncateDim = options.truncateDim;
  if (options.prompt !== undefined) encodeOptions.prompt = options.prompt;
  if (options.promptName !== undefined) encodeOptions.promptName = options.promptName;
  const embeddings = await model.encode(sentences, encodeOptions);
  return paraphraseMiningEmbeddings(embeddings, options);
}
