/**
 * quantize_embeddings as sentence-transformers defines it (quantization.py):
 * - int8 / uint8: per-dimension ranges [min, max] (from `ranges`, else from
 *   `calibrationEmbeddings`, else from the embeddings themselves); step = (max − min) / 255
 *   (1 where max = min); q = clip(floor((x − min) / step), 0, 255); uint8 = q, int8 = q − 128
 *   (sentence-transformers 6.2).
 * - ubinary: packbits(x > 0) (big-endian bit order, ceil(D/8) bytes); binary: ubinary − 128.
 */
import { InputError } from './errors.js';

export const PRECISIONS = ['float32', 'int8', 'uint8', 'binary', 'ubinary'] as const;
export type Precision = (typeof PRECISIONS)[number];
export type QuantizedRow = Float32Array | Int8Array | Uint8Array;

export interface QuantizeOptions {
  /** (2, D): row 0 the minimums, row 1 the maximums. */
  ranges?: [ArrayLike<number>, ArrayLike<number>];
  calibrationEmbeddings?: ArrayLike<number>[];
}

function columnRanges(rows: ArrayLike<number>[], D: number): [Float32Array, Float32Array] {
  const lo = new Float32Array(D).fill(Infinity);
  const hi = new Float32Array(D).fill(-Infinity);
  for (const r of rows) {
    for (let d = 0; d < D; d++) {
      const v = r[d]!;
      if (v < lo[d]!) lo[d] = v;
      if (v > hi[d]!) hi[d] = v;
    }
  }
  return [lo, hi];
}

export function quantizeEmbeddings(embeddings: Float32Array[], precision: Precision, options: QuantizeOptions = {}): QuantizedRow[] {
  if (!PRECISIONS.includes(precision)) throw new InputError(`unknown precision '${precision}'; expected one of ${PRECISIONS.join(', ')}`);
  if (precision === 'float32' || embeddings.length === 0) return embeddings;
  const D = embeddings[0]!.length;
  if (precision === 'int8' || precision === 'uint8') {
    let lo: ArrayLike<number>;
    let hi: ArrayLike<number>;
    if (options.ranges) [lo, hi] = options.ranges;
    else [lo, hi] = columnRanges(options.calibrationEmbeddings ?? embeddings, D);
    if (lo.length !== D || hi.length !== D) throw new InputError(`ranges must have ${D} columns, got ${lo.length} and ${hi.length}`);
    const steps = Float32Array.from({ length: D }, (_, d) => Math.fround(hi[d]! - lo[d]!) / 255 || 1);
    const offset = precision === 'int8' ? 128 : 0;
    return embeddings.map((row) => {
      const out = precision === 'int8' ? new Int8Array(D) : new Uint8Array(D);
      for (let d = 0; d < D; d++) {
        // float32 arithmetic as numpy does it, then floor and clip to the 8-bit range.
        const q = Math.floor(Math.fround(Math.fround(row[d]! - lo[d]!) / steps[d]!));
        out[d] = Math.min(255, Math.max(0, q)) - offset;
      }
      return out;
    });
  }
  const bytes = Math.ceil(D / 8);
  return embeddings.map((row) => {
    const packed = new Uint8Array(bytes);
    for (let d = 0; d < D; d++) if (row[d]! > 0) packed[d >> 3]! |= 0x80 >> (d & 7);
    if (precision === 'ubinary') return packed;
    return Int8Array.from(packed, (v) => v - 128);
  });
}
