import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { fixturesDir, repoRoot } from '../test-utils/paths.js';
import { paraphraseMining, paraphraseMiningEmbeddings, type ParaphrasePair } from './paraphrase-mining.js';

interface ParaphraseFixture {
  paraphrase_mining: {
    name: string;
    embeddings: number[][];
    runs: { score_function: 'cosine' | 'dot'; top_k: number; max_pairs: number; query_chunk_size: number; corpus_chunk_size: number; pairs: ParaphrasePair[] }[];
  }[];
}

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'tools/parity/fixtures/embedder/util.json'), 'utf8')) as ParaphraseFixture;

/** Same pairs in the same order; scores equal within `tol` relative to max(1, |score|). */
function expectPairs(got: ParaphrasePair[], expected: ParaphrasePair[], tol: number): void {
  expect(got.map(([, i, j]) => [i, j])).toEqual(expected.map(([, i, j]) => [i, j]));
  got.forEach(([s], k) => {
    const e = expected[k]![0];
    expect(Math.abs(s - e), `pair ${k}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  });
}

/** Deterministic pseudo-random rows (xorshift). */
function randomRows(n: number, d: number, seed: number): number[][] {
  let s = seed >>> 0;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32 - 0.5;
  };
  return Array.from({ length: n }, () => Array.from({ length: d }, next));
}

describe('paraphraseMiningEmbeddings', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  for (const c of fixture.paraphrase_mining) {
    it(`equals sentence-transformers on the '${c.name}' fixture`, () => {
      for (const run of c.runs) {
        const got = paraphraseMiningEmbeddings(c.embeddings, {
          topK: run.top_k,
          maxPairs: run.max_pairs,
          queryChunkSize: run.query_chunk_size,
          corpusChunkSize: run.corpus_chunk_size,
          scoreFunction: run.score_function,
        });
        // float32 scores: TF.js and torch round the matmul differently by a few ulp.
        expectPairs(got, run.pairs, 1e-6);
        // The default chunk sizes give the same pairs.
        expectPairs(paraphraseMiningEmbeddings(c.embeddings, { topK: run.top_k, maxPairs: run.max_pairs, scoreFunction: run.score_function }), run.pairs, 1e-6);
      }
    });
  }

  it('with topK ≥ n and room for every pair, returns all pairs by brute-force cosine, best first', () => {
    const rows = randomRows(25, 6, 99);
    const cos = (a: number[], b: number[]): number => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      a.forEach((x, k) => {
        ab += x * b[k]!;
        aa += x * x;
        bb += b[k]! * b[k]!;
      });
      return ab / Math.sqrt(aa * bb);
    };
    const all: ParaphrasePair[] = [];
    for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) all.push([cos(rows[i]!, rows[j]!), i, j]);
    all.sort((a, b) => b[0] - a[0]);
    expectPairs(paraphraseMiningEmbeddings(rows, { topK: 100, queryChunkSize: 4, corpusChunkSize: 6 }), all, 1e-6);
    // maxPairs keeps the best pairs.
    expectPairs(paraphraseMiningEmbeddings(rows, { topK: 100, maxPairs: 10 }), all.slice(0, 10), 1e-6);
  });

  it('follows CPython heapq eviction and tie order (worked example, checked against ST 6.2)', () => {
    // Scores: (1,2)=.96, (0,1)=(2,3)=.8, (0,2)=(1,3)=.6, (0,3)=(3,4)=0, ...
    // top_k 2, max_pairs 3: pushes (.8,0,1) (.6,0,2) (.96,1,2); row 2 offers (.8,2,3), which
    // evicts (.6,0,2) and sets min_score .6, so row 3's (.6,1,3) is skipped. The two .8 pairs
    // keep the heap's order after the sift.
    const e = [[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1], [-1, 0]];
    // The float32 scores ST 6.2 printed for this input.
    const [s96, s80] = [0.9600000381469727, 0.800000011920929];
    expect(paraphraseMiningEmbeddings(e, { topK: 2, maxPairs: 3 })).toEqual([[s96, 1, 2], [s80, 0, 1], [s80, 2, 3]]);
    expect(paraphraseMiningEmbeddings(e, { topK: 1 })).toEqual([[s96, 1, 2], [s80, 0, 1], [s80, 2, 3], [0, 3, 4]]);
    // max_pairs 0: every pair evicts itself.
    expect(paraphraseMiningEmbeddings(e, { maxPairs: 0 })).toEqual([]);
  });

  it('breaks score ties by lower index and lays the heap out as CPython does', () => {
    // Four identical rows: every score ties. Neighbours come in index order, so the pairs are
    // pushed as (0,1) (0,2) (0,3); (1,2) then evicts (0,1), and the sift leaves
    // [(0,2), (1,2), (0,3)] (heapq._siftup moves the smaller child up, then places the item).
    const e = [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]];
    const got = paraphraseMiningEmbeddings(e, { maxPairs: 3 });
    expect(got.map(([, i, j]) => [i, j])).toEqual([[0, 2], [1, 2], [0, 3]]);
    expect(paraphraseMiningEmbeddings(e).map(([, i, j]) => [i, j])).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  });

  it('handles empty and single inputs, leaks no tensors and rejects bad options', () => {
    expect(paraphraseMiningEmbeddings([])).toEqual([]);
    expect(paraphraseMiningEmbeddings([[1, 2]])).toEqual([]);
    const t = tf.tensor2d(randomRows(12, 4, 5).flat(), [12, 4]);
    const before = tf.memory().numTensors;
    expect(paraphraseMiningEmbeddings(t, { topK: 3, scoreFunction: 'dot' }).length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
    expect(() => paraphraseMiningEmbeddings([[1]], { topK: -1 })).toThrow(new InputError('topK must be a non-negative integer, got -1'));
    expect(() => paraphraseMiningEmbeddings([[1]], { queryChunkSize: 0 })).toThrow('queryChunkSize must be a positive integer, got 0');
    expect(() => paraphraseMiningEmbeddings([[1]], { scoreFunction: 'hamming' as 'dot' })).toThrow("unknown similarity function 'hamming'");
  });

  it('paraphraseMining encodes with the model, then mines its embeddings', async () => {
    const model = await SentenceTransformer.load(path.join(fixturesDir, 'models/tiny-mean'), { backend: 'cpu' });
    try {
      const sentences = ['a man is eating food', 'a man eats food', 'the cat sleeps', 'a cat is sleeping', 'stocks fell today'];
      const before = tf.memory().numTensors;
      const pairs = await paraphraseMining(model, sentences, { topK: 2, batchSize: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(pairs).toEqual(paraphraseMiningEmbeddings(await model.encode(sentences, { batchSize: 2 }), { topK: 2 }));
      expect(pairs.length).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });
});
