import { expect } from 'vitest';
import type { tf } from '@sbert/core';

/** Largest |a[i] − b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Largest difference between two gradient maps (same names), relative to each gradient's largest value. */
export function maxRelDiff(a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [name, ga] of a) {
    const x = ga.dataSync();
    const scale = Math.max(1e-3, ...Array.from(x, Math.abs));
    worst = Math.max(worst, maxAbsDiff(x, b.get(name)!.dataSync()) / scale);
  }
  return worst;
}
