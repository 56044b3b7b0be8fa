import { InputError } from '@sbert/core';
import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture, num, named } from '../test-utils/fixtures.js';
import { pearson } from './pearson.js';

const fixture = loadFixture('correlation.json');

describe('pearson', () => {
  it.each(named(fixture.cases, (c: any) => c.name))('matches scipy.stats.pearsonr: %s', (_name, c: any) => {
    if (c.pearson_error) {
      expect(() => pearson(c.x, c.y)).toThrow(InputError);
      return;
    }
    expectClose(pearson(c.x, c.y), num(c.pearson), 1e-9, c.name);
  });

  it('is 1 for a positive linear relation, -1 for a negative one, ±1 exactly with two points', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15);
    expect(pearson([0.1, 0.7], [3, 9])).toBe(1);
    expect(pearson([0.1, 0.7], [9, 3])).toBe(-1);
  });

  it('hand-computed: x = [1, 2, 3, 4], y = [1, 3, 2, 4] gives 0.8', () => {
    // deviations (-1.5, -.5, .5, 1.5) · (-1.5, .5, -.5, 1.5) = 4; norms² = 5 and 5 → 4 / 5
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 15);
  });

  it('returns NaN for constant input, as scipy', () => {
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([2, 2], [1, 3])).toBeNaN();
  });

  it('rejects bad input with typed errors naming the argument', () => {
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(/pearson: x has length 2 but y has length 3/);
    expect(() => pearson([], [])).toThrow(/x is empty/);
    expect(() => pearson([1], [2])).toThrow(/at least 2 points/);
    expect(() => pearson([1, Number.NaN, 3], [1, 2, 3])).toThrow(/x\[1\] is NaN; expected a finite number/);
    expect(() => pearson([1, 2, 3], [1, Infinity, 3])).toThrow(InputError);
  });
});
