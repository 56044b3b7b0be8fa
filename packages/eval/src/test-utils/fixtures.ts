import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { EncodeOptions, SentenceEncoder, SimilarityFnName } from '../evaluators/sentence-evaluator.js';

/** The repository root (packages/eval/src/test-utils → 4 levels up). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** Real data, always cloned beside the repository. */
export const sharedData = resolve(repoRoot, '..', 'shared', 'data');

/** Reads tools/parity/fixtures/eval/<name>. */
export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(resolve(repoRoot, 'tools', 'parity', 'fixtures', 'eval', name), 'utf8')) as T;
}

/** `[label, item]` rows for `it.each`, labelled by `label(item)`. */
export function named<T>(items: readonly T[], label: (item: T) => string | number): [string, T][] {
  return items.map((item) => [String(label(item)), item]);
}

/** Fixture numbers: JSON cannot hold NaN/±Infinity, the script writes them as strings. */
export function num(v: unknown): number {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v !== 'number') throw new Error(`fixture value ${JSON.stringify(v)} is not a number`);
  return v;
}

/** A binary.json case's scores, as a Float32Array when the Python side computed in float32. */
export function scoresOf(c: { dtype: string; scores: number[] }): number[] | Float32Array {
  return c.dtype === 'float32' ? Float32Array.from(c.scores) : c.scores;
}

/** |actual − expected| <= tol, or both NaN. */
export function expectClose(actual: number, expected: number, tol: number, what = ''): void {
  if (Number.isNaN(expected)) {
    expect(actual, `${what}: expected NaN`).toBeNaN();
    return;
  }
  expect(Number.isFinite(actual), `${what}: ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

/** Bit-for-bit equality of two numbers (0 and −0 treated as equal), or both NaN. */
export function expectExact(actual: number, expected: number, what = ''): void {
  if (Number.isNaN(expected)) expect(actual, what).toBeNaN();
  else expect(actual === expected, `${what}: ${actual} !== ${expected}`).toBe(true);
}

/**
 * Compares a metrics record with sentence-transformers': the same keys in the same order, each
 * value within `tol(key)`.
 */
export function expectMetrics(actual: Record<string, number>, expected: Record<string, unknown>, tol: (key: string) => number): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [k, v] of Object.entries(expected)) expectClose(actual[k] as number, num(v), tol(k), k);
}

/** A test double for a model: looks each text up in a fixed table of float32 vectors. */
export class FakeEncoder implements SentenceEncoder {
  readonly calls: { texts: string[]; options: EncodeOptions | undefined }[] = [];
  private readonly table: Map<string, Float32Array>;

  constructor(
    table: Record<string, number[]> | Map<string, Float32Array>,
    public similarityFnName: SimilarityFnName | null = 'cosine',
  ) {
    this.table =
      table instanceof Map ? table : new Map(Object.entries(table).map(([t, v]) => [t, Float32Array.from(v)]));
  }

  async encode(texts: string[], options?: EncodeOptions): Promise<Float32Array[]> {
    this.calls.push({ texts, options });
    return texts.map((t) => {
      const v = this.table.get(t);
      if (!v) throw new Error(`FakeEncoder: no embedding for ${JSON.stringify(t)}`);
      return v.slice();
    });
  }
}
