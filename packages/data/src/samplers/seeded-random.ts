import { InputError } from '@sbert/core';

const TWO_POW_32 = 4294967296;

/**
 * A small deterministic PRNG — mulberry32 (Tommy Ettinger, public domain): 32-bit state,
 * integer-only arithmetic, so the same seed gives the same sequence on every machine and
 * Node version. Not cryptographic; plenty for shuffling training data.
 *
 * Derived draws: {@link nextInt} is unbiased (rejection sampling), {@link shuffle} is the
 * Fisher–Yates shuffle from the last element down (`j = nextInt(i + 1)`).
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new InputError(`seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, bound), bound in 1..2^32: draws above the largest multiple of bound are redrawn. */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new InputError(`bound must be an integer in 1..2^32, got ${bound}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % bound;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}
