import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { InputError } from './errors.js';
import { semanticSearch, similarity } from './similarity.js';

describe('similarity', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('computes cosine, dot and negative euclidean / manhattan distances by hand', () => {
    const a = [[3, 4], [1, 0]];
    const b = [[0, 1], [-3, -4]];
    const before = tf.memory().numTensors;
    const cos = similarity(a, b, 'cosine');
    expect(cos[0]![0]).toBeCloseTo(0.8, 6);
    expect(cos[0]![1]).toBeCloseTo(-1, 6);
    expect(similarity(a, b, 'dot')).toEqual([[4, -25], [0, -3]]);
    const eu = similarity(a, b, 'euclidean');
    expect(eu[0]![0]).toBeCloseTo(-Math.sqrt(9 + 9), 5);
    expect(eu[0]![1]).toBeCloseTo(-10, 5);
    expect(similarity(a, b, 'manhattan')).toEqual([[-6, -14], [-2, -8]]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => similarity(a, [[1, 2, 3]])).toThrow(InputError);
    expect(() => similarity(a, b, 'hamming' as 'dot')).toThrow("unknown similarity function 'hamming'; expected one of cosine, dot, euclidean, manhattan");
  });

  it('semanticSearch equals a brute-force ranking across query and corpus chunks', () => {
    let s = 7;
    const r = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const corpus = Array.from({ length: 57 }, () => Array.from({ length: 6 }, r));
    const queries = Array.from({ length: 9 }, () => Array.from({ length: 6 }, r));
    const before = tf.memory().numTensors;
    const hits = semanticSearch(queries, corpus, { topK: 5, queryChunkSize: 4, corpusChunkSize: 10 });
    expect(tf.memory().numTensors).toBe(before);
    const cos = (x: number[], y: number[]): number => {
      const d = x.reduce((acc, v, i) => acc + v * y[i]!, 0);
      return d / Math.hypot(...x) / Math.hypot(...y);
    };
    queries.forEach((q, qi) => {
      const brute = corpus.map((c, ci) => ({ corpusId: ci, score: cos(q, c) })).sort((x, y) => y.score - x.score).slice(0, 5);
      expect(hits[qi]!.map((h) => h.corpusId)).toEqual(brute.map((h) => h.corpusId));
      hits[qi]!.forEach((h, k) => expect(h.score).toBeCloseTo(brute[k]!.score, 5));
    });
  });
});
