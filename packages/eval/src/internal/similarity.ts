/**
 * Array-based similarity helpers for the evaluators (core has tensor versions; these are pure
 * and run in float64 over float32 inputs). Shapes: each vector is (D).
 */

/** The similarity functions sentence-transformers' evaluators understand. */
export type SimilarityFnName = 'cosine' | 'dot' | 'euclidean' | 'manhattan';

export const SIMILARITY_FN_NAMES: readonly SimilarityFnName[] = ['cosine', 'dot', 'euclidean', 'manhattan'];

/** Whether a name is a distance (lower = more similar). */
export function isDistance(name: SimilarityFnName): boolean {
  return name === 'euclidean' || name === 'manhattan';
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

export function l2Norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** torch.nn.functional.normalize's epsilon: norms are clamped below at 1e-12. */
const NORM_EPS = 1e-12;

/** `a·b / (max(‖a‖, 1e-12) · max(‖b‖, 1e-12))`, i.e. sentence-transformers' cos_sim. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / (Math.max(l2Norm(a), NORM_EPS) * Math.max(l2Norm(b), NORM_EPS));
}

export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return Math.sqrt(s);
}

export function manhattanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s;
}

/**
 * A similarity where higher = more similar: cosine, dot, or the negated euclidean / manhattan
 * distance (sentence-transformers' `*_sim` / `pairwise_*_sim`).
 */
export function similarityFn(name: SimilarityFnName): (a: ArrayLike<number>, b: ArrayLike<number>) => number {
  switch (name) {
    case 'cosine':
      return cosine;
    case 'dot':
      return dot;
    case 'euclidean':
      return (a, b) => -euclideanDistance(a, b);
    case 'manhattan':
      return (a, b) => -manhattanDistance(a, b);
  }
}

/** Row-wise similarity of two equally long lists of vectors (pairwise_* in sentence-transformers). */
export function pairwiseSimilarity(
  name: SimilarityFnName,
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): Float64Array {
  const f = similarityFn(name);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i] as ArrayLike<number>, b[i] as ArrayLike<number>);
  return out;
}
