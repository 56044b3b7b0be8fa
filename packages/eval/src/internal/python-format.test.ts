import { describe, expect, it } from 'vitest';
import { formatPythonFloat } from './python-format.js';

describe('formatPythonFloat', () => {
  it("writes floats like Python's str()", () => {
    // Expected strings are what CPython's repr/str prints for the same doubles.
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [1, '1.0'],
      [0, '0.0'],
      [-0, '-0.0'],
      [-2, '-2.0'],
      [0.1, '0.1'],
      [1 / 3, '0.3333333333333333'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [123.456, '123.456'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [1.2345e21, '1.2345e+21'],
      [-0.04999999999999999, '-0.04999999999999999'],
      [Number.NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
    ];
    for (const [x, s] of cases) expect(formatPythonFloat(x), String(x)).toBe(s);
  });
});
