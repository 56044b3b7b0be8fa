import { InputError } from '@sbert/core';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random.js';

describe('SeededRandom (mulberry32)', () => {
  it('matches values computed by an independent Python implementation', () => {
    // Python: a=(a+0x6D2B79F5)&M; t=((t^(t>>15))*(t|1))&M; t^=(t+(((t^(t>>7))*(t|61))&M))&M; (t^(t>>14))&M
    const r0 = new SeededRandom(0);
    expect([1, 2, 3, 4, 5].map(() => r0.nextUint32())).toEqual([1144304738, 1416247, 958946056, 627933444, 2007157716]);
    const r42 = new SeededRandom(42);
    expect([1, 2, 3, 4, 5].map(() => r42.nextUint32())).toEqual([2581720956, 1925393290, 3661312704, 2876485805, 750819978]);
  });

  it('Fisher–Yates permutations match the Python reference', () => {
    expect(new SeededRandom(42).permutation(10)).toEqual([1, 3, 9, 5, 2, 8, 4, 0, 7, 6]);
    expect(new SeededRandom(43).permutation(10)).toEqual([2, 9, 1, 4, 8, 6, 5, 0, 3, 7]);
    expect(new SeededRandom(0).permutation(20)).toEqual([15, 0, 14, 10, 17, 2, 1, 13, 12, 8, 11, 9, 19, 3, 5, 4, 7, 16, 6, 18]);
  });

  it('nextInt is in range and roughly uniform', () => {
    const rng = new SeededRandom(1);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[rng.nextInt(6)]!++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400); // ~4 standard deviations
    expect(() => rng.nextInt(0)).toThrow(InputError);
  });
});
