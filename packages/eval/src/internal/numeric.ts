/**
 * Small numeric helpers: compensated summation (so means and dot products of long arrays stay
 * within a few ulps of numpy's pairwise sums), Python's `max` semantics, and IEEE `nextafter`.
 */

/** Neumaier-compensated sum of `values[i]` for i in [0, n). */
export function accurateSum(n: number, value: (i: number) => number): number {
  let sum = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = value(i);
    const t = sum + v;
    // Keep the low-order bits lost by whichever operand is smaller in magnitude.
    c += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + c;
}

/**
 * Python's builtin `max` over a non-empty list: the first item wins unless a later one compares
 * strictly greater. With NaN this is order dependent (`max([nan, 1]) = nan`, `max([1, nan]) = 1`),
 * exactly as sentence-transformers' `*_max` metrics behave.
 */
export function pythonMax(values: readonly number[]): number {
  let best = values[0] as number;
  for (let i = 1; i < values.length; i++) {
    const v = values[i] as number;
    if (v > best) best = v;
  }
  return best;
}

const f64 = new Float64Array(1);
const f64Bits = new BigInt64Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/**
 * `numpy.nextafter(x, +inf | -inf)` in float64 or float32: the adjacent representable value in
 * the given direction. `x` must be finite.
 */
export function nextAfter(x: number, up: boolean, float32: boolean): number {
  if (x === 0) {
    const tiny = float32 ? 1.401298464324817e-45 : Number.MIN_VALUE;
    return up ? tiny : -tiny;
  }
  // For IEEE floats, stepping the bit pattern by one moves one ulp away from (or toward) zero.
  const away = x > 0 === up;
  if (float32) {
    f32[0] = x;
    f32Bits[0] = (f32Bits[0] as number) + (away ? 1 : -1);
    return f32[0] as number;
  }
  f64[0] = x;
  f64Bits[0] = (f64Bits[0] as bigint) + (away ? 1n : -1n);
  return f64[0] as number;
}
