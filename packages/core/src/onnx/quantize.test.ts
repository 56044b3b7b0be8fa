/**
 * Symmetric int8 weight quantisation, against values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { quantizeWeightInt8 } from './quantize.js';

// W (K = 3, N = 3), row-major: column 0 = [1.27, −0.5, 0.01], column 1 = [0, 0.2, −0.6], column 2 = 0.
const W = Float32Array.from([1.27, 0, 0, -0.5, 0.2, 0, 0.01, -0.6, 0]);

describe('quantizeWeightInt8', () => {
  it('per output channel: scale max|W[:, n]| / 127, values round(W / scale)', () => {
    const { values, scales } = quantizeWeightInt8(W, 3, 3);
    expect(Array.from(scales)).toEqual([Math.fround(1.27 / 127), Math.fround(0.6 / 127), 1]);
    // Column 0: 1.27/0.01 = 127, −0.5/0.01 = −50, 1; column 1: 0, 0.2·127/0.6 = 42.33 → 42, −127.
    expect(Array.from(values)).toEqual([127, 0, 0, -50, 42, 0, 1, -127, 0]);
  });

  it('per tensor: one scale max|W| / 127', () => {
    const { values, scales } = quantizeWeightInt8(W, 3, 3, { perChannel: false });
    expect(Array.from(scales)).toEqual([Math.fround(0.01)]);
    expect(Array.from(values)).toEqual([127, 0, 0, -50, 20, 0, 1, -60, 0]);
  });

  it('reduce range: 7-bit weights, q_max 63', () => {
    const { values } = quantizeWeightInt8(W, 3, 3, { reduceRange: true });
    // Column 0: scale 1.27/63: 63, −0.5·63/1.27 = −24.8 → −25, 0.01·63/1.27 = 0.496 → 0; column 1: 0, 21, −63.
    expect(Array.from(values)).toEqual([63, 0, 0, -25, 21, 0, 0, -63, 0]);
  });

  it('checks the shape', () => {
    expect(() => quantizeWeightInt8(W, 2, 3)).toThrow('quantizeWeightInt8: 9 values for (2, 3)');
  });
});
