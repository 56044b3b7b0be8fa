import { InputError } from '@sbert/core';
import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture, num, named } from '../test-utils/fixtures.js';
import { rankData, spearman } from './spearman.js';

const fixture = loadFixture('correlation.json');

describe('spearman', () => {
  it.each(named(fixture.cases, (c: any) => c.name))('matches scipy.stats.spearmanr: %s', (_name, c: any) => {
    expectClose(spearman(c.x, c.y), num(c.spearman), 1e-9, c.name);
  });

  it('gives tied values their average rank (scipy rankdata "average")', () => {
    expect(Array.from(rankData([10, 20, 10, 30]))).toEqual([1.5, 3, 1.5, 4]);
    expect(Array.from(rankData([5, 5, 5]))).toEqual([2, 2, 2]);
    expect(Array.from(rankData([3, 1, 2]))).toEqual([3, 1, 2]);
  });

  it('hand-computed with ties: x = [1, 2, 2, 3], y = [1, 2, 3, 4]', () => {
    // ranks x = (1, 2.5, 2.5, 4), y = (1, 2, 3, 4); dev x = (-1.5, 0, 0, 1.5), dev y = (-1.5, -.5, .5, 1.5)
    // r = 4.5 / sqrt(4.5 · 5) = sqrt(0.9)
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(Math.sqrt(0.9), 15);
  });

  it('returns NaN for a single point and for constant input, as scipy', () => {
    expect(spearman([1], [2])).toBeNaN();
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNaN();
  });

  it('rejects bad input with typed errors', () => {
    expect(() => spearman([1, 2], [1])).toThrow(/spearman: x has length 2 but y has length 1/);
    expect(() => spearman([], [])).toThrow(InputError);
    expect(() => spearman([1, 2], [Number.NaN, 1])).toThrow(/y\[0\] is NaN/);
  });
});
