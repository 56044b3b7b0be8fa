import { InputError } from '@sbert/core';

/**
 * Argument checks shared by the metrics and evaluators. Every failure is an `InputError` whose
 * message names the function, the argument (and index) and what was expected.
 */

/** Throws unless `values` is a non-empty array-like of finite numbers. */
export function checkFiniteArray(fn: string, field: string, values: ArrayLike<number>): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new InputError(`${fn}: ${field} must be an array of numbers, got ${describe(values)}`);
  }
  if (values.length === 0) {
    throw new InputError(`${fn}: ${field} is empty; expected at least one value`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`${fn}: ${field}[${i}] is ${describe(v)}; expected a finite number`);
    }
  }
}

/** Throws unless every label is exactly 0 or 1. */
export function checkBinaryLabels(fn: string, field: string, labels: ArrayLike<number>): void {
  checkFiniteArray(fn, field, labels);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v !== 0 && v !== 1) {
      throw new InputError(`${fn}: ${field}[${i}] is ${describe(v)}; expected 0 or 1`);
    }
  }
}

/** Throws unless both array-likes have the same length. */
export function checkSameLength(
  fn: string,
  fieldA: string,
  a: ArrayLike<unknown>,
  fieldB: string,
  b: ArrayLike<unknown>,
): void {
  if (a.length !== b.length) {
    throw new InputError(
      `${fn}: ${fieldA} has length ${a.length} but ${fieldB} has length ${b.length}; expected equal lengths`,
    );
  }
}

/** Throws unless `k` is a positive integer. */
export function checkK(fn: string, field: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new InputError(`${fn}: ${field} contains ${describe(k)}; expected positive integers`);
  }
}

/** Throws unless `ks` is a non-empty list of positive integers. */
export function checkKList(fn: string, field: string, ks: readonly number[]): void {
  if (!Array.isArray(ks) || ks.length === 0) {
    throw new InputError(`${fn}: ${field} must be a non-empty array of positive integers, got ${describe(ks)}`);
  }
  for (const k of ks) checkK(fn, field, k);
}

/** Short, safe rendering of a value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}
