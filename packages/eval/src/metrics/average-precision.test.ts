import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture, scoresOf, named } from '../test-utils/fixtures.js';
import { averagePrecision } from './average-precision.js';

const fixture = loadFixture('binary.json');

describe('averagePrecision', () => {
  it.each(named(fixture.cases, (c: any) => c.name))('matches sklearn average_precision_score: %s', (_name, c: any) => {
    const s = scoresOf(c);
    // The fixture's AP is of scores·(+1 | −1): distances are negated so higher = more similar.
    const signed = c.greater_is_better ? s : Array.from(s, (x) => -x);
    expectClose(averagePrecision(signed, c.labels), c.expected.ap, 1e-9, c.name);
  });

  it("hand-computed: sklearn's documentation example gives 0.8333…", () => {
    // thresholds 0.8 (P=1, R=.5), 0.4 (P=.5, R=.5), 0.35 (P=2/3, R=1), 0.1 (P=.5, R=1)
    // AP = .5·1 + 0 + .5·(2/3) + 0
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.5 + 1 / 3, 15);
  });

  it('treats tied scores as one step; 0 without positives; 1 when every pair is positive', () => {
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [0, 1, 1, 0])).toBe(0.5);
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBe(0);
    expect(averagePrecision([0.3, 0.2], [1, 1])).toBe(1);
  });

  it('rejects invalid input with typed errors', () => {
    expect(() => averagePrecision([0.1], [1, 0])).toThrow(/averagePrecision: scores has length 1 but labels has length 2/);
    expect(() => averagePrecision([0.1, 0.2], [0, -1])).toThrow(/labels\[1\] is -1; expected 0 or 1/);
    expect(() => averagePrecision([], [])).toThrow(/scores is empty/);
    expect(() => averagePrecision([Number.NaN], [1])).toThrow(/scores\[0\] is NaN/);
  });
});
