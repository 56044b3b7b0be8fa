import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture, scoresOf, named } from '../test-utils/fixtures.js';
import { matthewsCorrcoef, mccFromCounts } from './mcc.js';

const fixture = loadFixture('binary.json');

describe('matthewsCorrcoef', () => {
  it.each(named(fixture.cases, (c: any) => c.name))('matches sklearn matthews_corrcoef at each threshold: %s', (_name, c: any) => {
    const s = scoresOf(c);
    for (const t of c.at_threshold) {
      const predicted = Array.from(s, (x) => (c.greater_is_better ? x >= t.threshold : x <= t.threshold));
      expectClose(matthewsCorrcoef(predicted, c.labels), t.mcc, 1e-12, `${c.name} @ ${t.threshold}`);
    }
    // The evaluator's MCC: at each variant's F1 threshold.
    for (const v of ['st5', 'st6']) {
      const thr = c.expected[v].f1_threshold;
      const predicted = Array.from(s, (x) => (c.greater_is_better ? x >= thr : x <= thr));
      expectClose(matthewsCorrcoef(predicted, c.labels), c.expected[v].mcc, 1e-12, `${c.name} ${v}`);
    }
  });

  it('hand-computed values', () => {
    expect(matthewsCorrcoef([1, 0, 1, 0], [1, 0, 1, 0])).toBe(1);
    expect(matthewsCorrcoef([0, 1, 0, 1], [1, 0, 1, 0])).toBe(-1);
    // tp=2 fp=1 fn=1 tn=2: (4 − 1) / sqrt(3·3·3·3) = 1/3
    expect(mccFromCounts(2, 1, 1, 2)).toBeCloseTo(1 / 3, 15);
    // a constant prediction or a single class: 0, as sklearn
    expect(matthewsCorrcoef([true, true, true], [1, 0, 1])).toBe(0);
    expect(matthewsCorrcoef([1, 0], [1, 1])).toBe(0);
  });

  it('rejects invalid input with typed errors', () => {
    expect(() => matthewsCorrcoef([1, 0], [1])).toThrow(/predicted has length 2 but labels has length 1/);
    expect(() => matthewsCorrcoef([2], [1])).toThrow(/predicted\[0\] is 2; expected 0 or 1/);
    expect(() => matthewsCorrcoef([], [])).toThrow(/predicted is empty/);
  });
});
