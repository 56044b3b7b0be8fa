import { describe, expect, it } from 'vitest';
import { ranksBefore, type RetrievalHit, sortHits } from '../metrics/information-retrieval-metrics.js';
import { TopK } from './top-k.js';

describe('TopK', () => {
  it('keeps exactly the best k under (score desc, id asc), like a full sort', () => {
    // A deterministic LCG so that the test is reproducible; scores on a coarse grid force ties.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const k of [1, 3, 10, 50]) {
      const items: RetrievalHit[] = Array.from({ length: 300 }, (_, i) => ({
        corpusId: String(Math.floor(rand() * 1e6)) + `-${i}`,
        score: Math.round(rand() * 20) / 20,
      }));
      const heap = new TopK<RetrievalHit>(k, ranksBefore);
      for (const it of items) heap.offer(it);
      expect(heap.size).toBe(k);
      expect(heap.sorted()).toEqual(sortHits(items).slice(0, k));
    }
  });

  it('holds fewer than k when fewer are offered', () => {
    const heap = new TopK<number>(5, (a, b) => a > b);
    [3, 1, 2].forEach((x) => heap.offer(x));
    expect(heap.sorted()).toEqual([3, 2, 1]);
  });
});
