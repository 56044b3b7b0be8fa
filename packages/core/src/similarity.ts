/**
 * Similarity functions with sentence-transformers' semantics (util/similarity.py): every
 * function returns "higher is more similar", so euclidean and manhattan are negative
 * distances. Matrix forms take (N, D) and (M, D) and return (N, M); pairwise forms take two
 * (N, D) and return (N).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from './errors.js';
import { l2Normalize } from './modules/normalize.js';

export const SIMILARITY_FUNCTIONS = ['cosine', 'dot', 'euclidean', 'manhattan'] as const;
export type SimilarityFunction = (typeof SIMILARITY_FUNCTIONS)[number];

/** Rows of embeddings: a (N, D) tensor, or N arrays of D numbers. */
export type EmbeddingsLike = tf.Tensor | ArrayLike<number>[] | ArrayLike<number>;

/** Turns rows into a (N, D) float32 tensor (caller disposes when it made one). */
export function toMatrix(x: EmbeddingsLike, what = 'embeddings'): tf.Tensor2D {
  if (x instanceof tf.Tensor) {
    if (x.rank === 1) return x.expandDims(0) as tf.Tensor2D;
    if (x.rank !== 2) throw new InputError(`${what} must be 1-D or 2-D, got shape [${x.shape.join(', ')}]`);
    return x.clone() as tf.Tensor2D;
  }
  const rows: ArrayLike<number>[] = Array.isArray(x) && (x.length === 0 || typeof x[0] !== 'number') ? (x as ArrayLike<number>[]) : [x as ArrayLike<number>];
  if (rows.length === 0) throw new InputError(`${what} is empty`);
  const D = rows[0]!.length;
  const flat = new Float32Array(rows.length * D);
  rows.forEach((r, i) => {
    if (r.length !== D) throw new InputError(`${what}[${i}] has length ${r.length}; expected ${D} like row 0`);
    flat.set(r as ArrayLike<number>, i * D);
  });
  return tf.tensor2d(flat, [rows.length, D]);
}

function check(a: tf.Tensor2D, b: tf.Tensor2D): void {
  if (a.shape[1] !== b.shape[1]) throw new InputError(`embedding dimensions differ: ${a.shape[1]} and ${b.shape[1]}`);
}

/** cos_sim: normalize(a) · normalize(b)ᵀ, (N, M). */
export function cosSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  check(a, b);
  return tf.tidy(() => tf.matMul(l2Normalize(a), l2Normalize(b).transpose()));
}

/** dot_score: a · bᵀ, (N, M). */
export function dotScore(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  check(a, b);
  return tf.tidy(() => tf.matMul(a, b.transpose()));
}

/** euclidean_sim: −‖a_i − b_j‖₂, (N, M). */
export function euclideanSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  check(a, b);
  return tf.tidy(() => {
    // ‖a‖² + ‖b‖² − 2ab would lose precision for close points; take the exact difference.
    const diff = a.expandDims(1).sub(b.expandDims(0)); // (N, M, D)
    return tf.sqrt(tf.sum(diff.square(), -1)).neg() as tf.Tensor2D;
  });
}

/** manhattan_sim: −‖a_i − b_j‖₁, (N, M). */
export function manhattanSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  check(a, b);
  return tf.tidy(() => tf.sum(a.expandDims(1).sub(b.expandDims(0)).abs(), -1).neg() as tf.Tensor2D);
}

export function pairwiseCosSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  checkPairwise(a, b);
  return tf.tidy(() => tf.sum(l2Normalize(a).mul(l2Normalize(b)), -1) as tf.Tensor1D);
}
export function pairwiseDotScore(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  checkPairwise(a, b);
  return tf.tidy(() => tf.sum(a.mul(b), -1) as tf.Tensor1D);
}
export function pairwiseEuclideanSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  checkPairwise(a, b);
  return tf.tidy(() => tf.sqrt(tf.sum(a.sub(b).square(), -1)).neg() as tf.Tensor1D);
}
export function pairwiseManhattanSim(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  checkPairwise(a, b);
  return tf.tidy(() => tf.sum(a.sub(b).abs(), -1).neg() as tf.Tensor1D);
}
function checkPairwise(a: tf.Tensor2D, b: tf.Tensor2D): void {
  check(a, b);
  if (a.shape[0] !== b.shape[0]) throw new InputError(`pairwise similarity needs the same number of rows, got ${a.shape[0]} and ${b.shape[0]}`);
}

const MATRIX: Record<SimilarityFunction, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D> = {
  cosine: cosSim,
  dot: dotScore,
  euclidean: euclideanSim,
  manhattan: manhattanSim,
};
const PAIRWISE: Record<SimilarityFunction, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor1D> = {
  cosine: pairwiseCosSim,
  dot: pairwiseDotScore,
  euclidean: pairwiseEuclideanSim,
  manhattan: pairwiseManhattanSim,
};

export function checkSimilarityFunction(fn: string): SimilarityFunction {
  if (!SIMILARITY_FUNCTIONS.includes(fn as SimilarityFunction)) {
    throw new InputError(`unknown similarity function '${fn}'; expected one of ${SIMILARITY_FUNCTIONS.join(', ')}`);
  }
  return fn as SimilarityFunction;
}

/** The (N, M) similarity matrix as a tensor. */
export function similarityMatrix(a: tf.Tensor2D, b: tf.Tensor2D, fn: SimilarityFunction = 'cosine'): tf.Tensor2D {
  return MATRIX[checkSimilarityFunction(fn)](a, b);
}

/** Row-wise similarity of two (N, D) tensors. */
export function pairwiseSimilarity(a: tf.Tensor2D, b: tf.Tensor2D, fn: SimilarityFunction = 'cosine'): tf.Tensor1D {
  return PAIRWISE[checkSimilarityFunction(fn)](a, b);
}

/**
 * `similarity(a, b, fn)`: every row of `a` against every row of `b`, as plain arrays
 * (`result[i][j]`). Accepts tensors or arrays of rows.
 */
export function similarity(a: EmbeddingsLike, b: EmbeddingsLike, fn: SimilarityFunction = 'cosine'): number[][] {
  const A = toMatrix(a, 'a');
  const B = toMatrix(b, 'b');
  try {
    const scores = similarityMatrix(A, B, fn);
    const values = scores.arraySync() as number[][];
    scores.dispose();
    return values;
  } finally {
    A.dispose();
    B.dispose();
  }
}

export interface SearchHit {
  corpusId: number;
  score: number;
}

export interface SemanticSearchOptions {
  topK?: number;
  queryChunkSize?: number;
  corpusChunkSize?: number;
  scoreFunction?: SimilarityFunction;
}

/**
 * semantic_search: for each query, the `topK` corpus entries with the highest score, sorted
 * by score descending. Works through query × corpus chunks so at most
 * queryChunkSize × corpusChunkSize scores exist at once. Defaults as ST: topK 10, query
 * chunks of 100, corpus chunks of 500 000, cosine.
 */
export function semanticSearch(queries: EmbeddingsLike, corpus: EmbeddingsLike, options: SemanticSearchOptions = {}): SearchHit[][] {
  const topK = options.topK ?? 10;
  const qChunk = options.queryChunkSize ?? 100;
  const cChunk = options.corpusChunkSize ?? 500000;
  for (const [k, v] of [['topK', topK], ['queryChunkSize', qChunk], ['corpusChunkSize', cChunk]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`${k} must be a positive integer, got ${v}`);
  }
  const fn = checkSimilarityFunction(options.scoreFunction ?? 'cosine');
  const Q = toMatrix(queries, 'queries');
  const C = toMatrix(corpus, 'corpus');
  try {
    check(Q, C);
    const [nQ] = Q.shape;
    const [nC] = C.shape;
    const results: SearchHit[][] = Array.from({ length: nQ }, () => []);
    for (let q0 = 0; q0 < nQ; q0 += qChunk) {
      const qn = Math.min(qChunk, nQ - q0);
      for (let c0 = 0; c0 < nC; c0 += cChunk) {
        const cn = Math.min(cChunk, nC - c0);
        const k = Math.min(topK, cn);
        const { values, indices } = tf.tidy(() => {
          const scores = MATRIX[fn](Q.slice([q0, 0], [qn, -1]), C.slice([c0, 0], [cn, -1]));
          const top = tf.topk(scores, k, true);
          return { values: top.values.dataSync(), indices: top.indices.dataSync() };
        });
        for (let i = 0; i < qn; i++) {
          const hits = results[q0 + i]!;
          for (let j = 0; j < k; j++) hits.push({ corpusId: c0 + indices[i * k + j]!, score: values[i * k + j]! });
        }
      }
      // Keep only the best topK per query of this chunk (bounded memory across corpus chunks).
      for (let i = q0; i < q0 + qn; i++) {
        results[i] = results[i]!.sort((x, y) => y.score - x.score || x.corpusId - y.corpusId).slice(0, topK);
      }
    }
    return results;
  } finally {
    Q.dispose();
    C.dispose();
  }
}
