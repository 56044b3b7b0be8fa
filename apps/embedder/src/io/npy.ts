/**
 * NPY format version 1.0 for (N, D) little-endian float32 matrices, written byte for byte as
 * numpy.save does: magic `\x93NUMPY`, version 1.0, a uint16 header length, then the header dict
 * padded with spaces and a final newline so that the data starts at a multiple of 64 bytes.
 */
import { promises as fs } from 'node:fs';
import { DataError } from '@sbert/core';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export function npyHeader(rows: number, cols: number): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const prefix = MAGIC.length + 2 + 2;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, prefix, 'latin1');
  return out;
}

export interface NpyMatrix {
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float32Array;
}

/** Parses a 2-D '<f4' C-order .npy buffer (what `embed --format npy` writes). */
export function parseNpy(buf: Buffer, file = '<buffer>'): NpyMatrix {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new DataError(file, undefined, 'not an NPY file (bad magic)');
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(header);
  if (descr !== '<f4' || fortran !== 'False' || !shape) throw new DataError(file, undefined, `expected a C-order (N, D) '<f4' array, got header ${header.trim()}`);
  const rows = Number(shape[1]);
  const cols = Number(shape[2]);
  const offset = start + headerLen;
  if (buf.length !== offset + rows * cols * 4) throw new DataError(file, undefined, `expected ${rows * cols * 4} data bytes for shape (${rows}, ${cols}), got ${buf.length - offset}`);
  const data = new Float32Array(rows * cols);
  Buffer.from(data.buffer).set(buf.subarray(offset));
  return { rows, cols, data };
}

export async function readNpy(file: string): Promise<NpyMatrix> {
  return parseNpy(await fs.readFile(file), file);
}
