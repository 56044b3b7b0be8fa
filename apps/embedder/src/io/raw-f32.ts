/**
 * Raw float32 with a JSON header: one line of JSON (padded with spaces so that the data starts
 * at a multiple of 64 bytes), then N × D little-endian float32 values, row-major.
 *
 *   {"format":"sbert-raw-f32","version":1,"dtype":"float32","byte_order":"little","shape":[N,D],"header_bytes":H}
 *
 * `header_bytes` is where the data starts. In numpy:
 * `np.fromfile(f, '<f4', offset=h['header_bytes']).reshape(h['shape'])`.
 */
import { promises as fs } from 'node:fs';
import { DataError } from '@sbert/core';

export interface RawHeader {
  format: 'sbert-raw-f32';
  version: 1;
  dtype: 'float32';
  byte_order: 'little';
  shape: [number, number];
  header_bytes: number;
  [extra: string]: unknown;
}

export function rawHeader(rows: number, cols: number, extra: Record<string, unknown> = {}): Buffer {
  const base = { format: 'sbert-raw-f32', version: 1, dtype: 'float32', byte_order: 'little', shape: [rows, cols], ...extra };
  // header_bytes is part of the header, so grow it until the padded size it states holds it.
  let size = 64;
  for (;;) {
    const json = JSON.stringify({ ...base, header_bytes: size });
    if (json.length + 1 <= size) return Buffer.from(json.padEnd(size - 1, ' ') + '\n', 'utf8');
    size += 64;
  }
}

export function parseRaw(buf: Buffer, file = '<buffer>'): { header: RawHeader; data: Float32Array } {
  const nl = buf.indexOf(0x0a);
  let header: RawHeader;
  try {
    header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as RawHeader;
  } catch {
    throw new DataError(file, 1, 'expected a JSON header line');
  }
  if (header.format !== 'sbert-raw-f32' || header.dtype !== 'float32' || header.byte_order !== 'little') throw new DataError(file, 1, 'not an sbert-raw-f32 little-endian float32 file');
  const [rows, cols] = header.shape;
  if (buf.length !== header.header_bytes + rows * cols * 4) throw new DataError(file, undefined, `expected ${rows * cols * 4} data bytes after the header, got ${buf.length - header.header_bytes}`);
  const data = new Float32Array(rows * cols);
  Buffer.from(data.buffer).set(buf.subarray(header.header_bytes));
  return { header, data };
}

export async function readRaw(file: string): Promise<{ header: RawHeader; data: Float32Array }> {
  return parseRaw(await fs.readFile(file), file);
}
