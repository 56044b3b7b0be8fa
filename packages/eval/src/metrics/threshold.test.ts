import { InputError } from '@sbert/core';
import { describe, expect, it } from 'vitest';
import { expectExact, loadFixture, scoresOf, named } from '../test-utils/fixtures.js';
import { findBestAccuracyAndThreshold, findBestF1AndThreshold, type ThresholdSearch } from './threshold.js';

const fixture = loadFixture('binary.json');

describe('threshold search parity (binary.json: LCQMC dev pseudo-scores and adversarial cases)', () => {
  for (const search of ['st5', 'st6'] as ThresholdSearch[]) {
    it.each(named(fixture.cases, (c: any) => c.name))(`${search}: %s`, (_name, c: any) => {
      const e = c.expected[search];
      const opts = { greaterIsBetter: c.greater_is_better, search };
      const acc = findBestAccuracyAndThreshold(scoresOf(c), c.labels, opts);
      expectExact(acc.accuracy, e.accuracy, 'accuracy');
      expectExact(acc.threshold, e.accuracy_threshold, 'accuracy_threshold');
      const f1 = findBestF1AndThreshold(scoresOf(c), c.labels, opts);
      expectExact(f1.f1, e.f1, 'f1');
      expectExact(f1.precision, e.precision, 'precision');
      expectExact(f1.recall, e.recall, 'recall');
      expectExact(f1.threshold, e.f1_threshold, 'f1_threshold');
    });
  }

  it('covers the cases the acceptance asks for', () => {
    const names = fixture.cases.map((c: any) => c.name).join('\n');
    for (const needle of ['lcqmc_dev', 'ties everywhere', 'one class', 'single element', 'constant scores', 'distance']) {
      expect(names).toContain(needle);
    }
  });
});

describe('threshold search semantics', () => {
  it('st5 by hand: scans cuts after rows 0..n-2 and takes midpoints', () => {
    // sorted: 0.9(1) 0.8(0) 0.6(1) 0.3(0); cuts: after 0.9 → acc 3/4, after 0.8 → 2/4, after 0.6 → 3/4 (not strictly better)
    const r = findBestAccuracyAndThreshold([0.6, 0.9, 0.3, 0.8], [1, 1, 0, 0]);
    expect(r.accuracy).toBe(0.75);
    expect(r.threshold).toBeCloseTo(0.85, 15);
    // F1: after 0.9: p=1, r=.5 → 2/3; after 0.8: p=.5, r=.5 → .5; after 0.6: p=2/3, r=1 → 0.8
    const f = findBestF1AndThreshold([0.6, 0.9, 0.3, 0.8], [1, 1, 0, 0]);
    expect(f.f1).toBeCloseTo(0.8, 15);
    expect(f.threshold).toBeCloseTo(0.45, 15);
  });

  it('ranks distances ascending (not inverted as ST v3.3–v5)', () => {
    const d = [0.1, 0.9, 0.2, 0.8];
    const labels = [1, 0, 1, 0];
    const acc = findBestAccuracyAndThreshold(d, labels, { greaterIsBetter: false });
    expect(acc).toEqual({ accuracy: 1, threshold: 0.5 });
    const f1 = findBestF1AndThreshold(d, labels, { greaterIsBetter: false });
    expect(f1).toEqual({ f1: 1, precision: 1, recall: 1, threshold: 0.5 });
    // Same as the similarity search on negated distances, with the threshold negated.
    const neg = findBestAccuracyAndThreshold(d.map((x) => -x), labels);
    expect(neg).toEqual({ accuracy: 1, threshold: -0.5 });
  });

  it('keeps tied rows in input order (stable sort)', () => {
    // All scores tied: st5 cuts inside the tie, so the input order decides.
    // [1,1,0,0]: after row 1 → 4/4. [0,0,1,1]: cuts give 1/4, 0, 1/4 → the first 1/4 wins.
    expect(findBestAccuracyAndThreshold([0.5, 0.5, 0.5, 0.5], [1, 1, 0, 0])).toEqual({ accuracy: 1, threshold: 0.5 });
    expect(findBestAccuracyAndThreshold([0.5, 0.5, 0.5, 0.5], [0, 0, 1, 1]).accuracy).toBe(0.25);
    // st6 groups the tie: only "nothing positive" (2/4) and "everything positive" (2/4) exist.
    expect(findBestAccuracyAndThreshold([0.5, 0.5, 0.5, 0.5], [1, 1, 0, 0], { search: 'st6' }).accuracy).toBe(0.5);
  });

  it('st5 never cuts after the last row: a single row gives accuracy 0, threshold -1', () => {
    expect(findBestAccuracyAndThreshold([0.3], [1])).toEqual({ accuracy: 0, threshold: -1 });
    expect(findBestF1AndThreshold([0.3], [1])).toEqual({ f1: 0, precision: 0, recall: 0, threshold: 0 });
  });

  it('computes float32 midpoints for Float32Array scores, as numpy float32', () => {
    const a = Math.fround(0.1);
    const b = Math.fround(0.7);
    // n = 2: the only cut is after row 0 (accuracy 1), at the midpoint of the two scores.
    const r = findBestAccuracyAndThreshold(Float32Array.from([b, a]), [1, 0]);
    expect(r.threshold).toBe(Math.fround(Math.fround(a + b) / 2));
    expect(findBestAccuracyAndThreshold([b, a], [1, 0]).threshold).toBe((a + b) / 2);
  });

  it('rejects invalid input with typed errors', () => {
    expect(() => findBestAccuracyAndThreshold([0.1, 0.2], [1])).toThrow(/scores has length 2 but labels has length 1/);
    expect(() => findBestAccuracyAndThreshold([0.1, 0.2], [1, 2])).toThrow(/labels\[1\] is 2; expected 0 or 1/);
    expect(() => findBestF1AndThreshold([], [])).toThrow(/scores is empty/);
    expect(() => findBestF1AndThreshold([0.1, Number.NaN], [1, 0])).toThrow(/scores\[1\] is NaN/);
    expect(() => findBestF1AndThreshold([0.1], [1], { search: 'st7' as ThresholdSearch })).toThrow(InputError);
  });
});
