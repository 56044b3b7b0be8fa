import { describe, expect, it } from 'vitest';
import { DataError } from '@sbert/core';
import { npyHeader, parseNpy } from './npy.js';
import { parseRaw, rawHeader } from './raw-f32.js';

/** The header numpy.save writes, built by hand from the NPY 1.0 spec. */
function numpyHeader(shape: string): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // magic (6) + version (2) + length (2) + dict + spaces + '\n' = 128 bytes for these shapes.
  const body = dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n';
  return Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from([body.length & 0xff, body.length >> 8]), Buffer.from(body, 'latin1')]);
}

describe('npy', () => {
  it('writes the header numpy.save writes, byte for byte', () => {
    expect(npyHeader(3, 4).equals(numpyHeader('(3, 4)'))).toBe(true);
    expect(npyHeader(0, 8).equals(numpyHeader('(0, 8)'))).toBe(true);
    expect(npyHeader(1_000_000, 384).equals(numpyHeader('(1000000, 384)'))).toBe(true);
    // The data starts at a multiple of 64 bytes; the length field is 118 = 0x76 ('v').
    expect(npyHeader(3, 4).length).toBe(128);
    expect(npyHeader(3, 4)[8]).toBe(0x76);
  });

  it('round-trips through parseNpy and rejects other arrays', () => {
    const data = Float32Array.from([1, -2.5, 3.25, 0, 1e-8, -1e8]);
    const buf = Buffer.concat([npyHeader(2, 3), Buffer.from(data.buffer)]);
    const m = parseNpy(buf);
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual(Array.from(data));
    expect(() => parseNpy(buf.subarray(0, buf.length - 4), 'x.npy')).toThrow(new DataError('x.npy', undefined, 'expected 24 data bytes for shape (2, 3), got 20'));
    const f8 = Buffer.from(numpyHeader('(1, 1)').toString('latin1').replace("'<f4'", "'<f8'"), 'latin1');
    expect(() => parseNpy(f8)).toThrow("expected a C-order (N, D) '<f4' array");
    expect(() => parseNpy(Buffer.from('hello world'))).toThrow('not an NPY file');
  });
});

describe('raw float32 with a JSON header', () => {
  it('pads the header line to 64 bytes, states where the data starts, and round-trips', () => {
    const h = rawHeader(2, 3, { model: 'tiny' });
    expect(h.length % 64).toBe(0);
    expect(h[h.length - 1]).toBe(0x0a);
    const header = JSON.parse(h.toString('utf8'));
    expect(header).toEqual({ format: 'sbert-raw-f32', version: 1, dtype: 'float32', byte_order: 'little', shape: [2, 3], model: 'tiny', header_bytes: h.length });
    const data = Float32Array.from([1, 2, 3, 4, 5, 6.5]);
    const parsed = parseRaw(Buffer.concat([h, Buffer.from(data.buffer)]));
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
    // A header longer than 64 bytes grows to the next multiple.
    const big = rawHeader(1, 1, { note: 'x'.repeat(100) });
    expect(big.length).toBe(256);
    expect(JSON.parse(big.toString('utf8')).header_bytes).toBe(256);
  });
});
