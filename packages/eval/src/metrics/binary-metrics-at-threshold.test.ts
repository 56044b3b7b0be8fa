import { describe, expect, it } from 'vitest';
import { expectClose, loadFixture, scoresOf, named } from '../test-utils/fixtures.js';
import { binaryMetricsAtThreshold } from './binary-metrics-at-threshold.js';

const fixture = loadFixture('binary.json');

describe('binaryMetricsAtThreshold', () => {
  it.each(named(fixture.cases, (c: any) => c.name))('matches sklearn precision/recall/f1 (zero_division=0): %s', (_name, c: any) => {
    for (const t of c.at_threshold) {
      const m = binaryMetricsAtThreshold(scoresOf(c), c.labels, t.threshold, { greaterIsBetter: c.greater_is_better });
      expect({ tp: m.tp, fp: m.fp, fn: m.fn, tn: m.tn }).toEqual({ tp: t.tp, fp: t.fp, fn: t.fn, tn: t.tn });
      for (const k of ['precision', 'recall', 'f1', 'mcc'] as const) expectClose(m[k], t[k], 1e-12, `${c.name} ${k}`);
    }
  });

  it('hand-computed: >= for similarities, <= for distances', () => {
    const sim = binaryMetricsAtThreshold([0.9, 0.5, 0.4, 0.1], [1, 0, 1, 0], 0.5);
    expect(sim).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1, accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.5 });
    const dist = binaryMetricsAtThreshold([0.9, 0.5, 0.4, 0.1], [1, 0, 1, 0], 0.4, { greaterIsBetter: false });
    expect(dist).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1 });
    const none = binaryMetricsAtThreshold([0.1, 0.2], [1, 0], 5);
    expect(none).toMatchObject({ tp: 0, fp: 0, precision: 0, recall: 0, f1: 0, mcc: 0 });
  });

  it('rejects invalid input with typed errors', () => {
    expect(() => binaryMetricsAtThreshold([0.1], [1, 0], 0)).toThrow(/scores has length 1 but labels has length 2/);
    expect(() => binaryMetricsAtThreshold([0.1], [1], Number.NaN)).toThrow(/threshold\[0\] is NaN/);
    expect(() => binaryMetricsAtThreshold([0.1], [0.5], 0)).toThrow(/labels\[0\] is 0.5; expected 0 or 1/);
  });
});
