/**
 * The safetensors format, read and written in TypeScript:
 * 8 bytes little-endian u64 header length N, N bytes of JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`, then the
 * raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * Floating tensors (F32, F16, BF16, F64) are returned as float32; integer tensors (I64, I32,
 * I16, I8, U8, BOOL) as int32 when they fit. Everything is checked: header bounds, JSON,
 * offsets inside the file, byte sizes matching shape × dtype.
 */
import { promises as fs } from 'node:fs';
import { CheckpointError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { decodeBlock } from './torch-checkpoint.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** A tensor as stored on disk, converted to a JS typed array. */
export interface StoredTensor {
  /** The dtype in the file. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** float32 for floating dtypes, int32 for integer ones. */
  data: Float32Array | Int32Array;
}

/** A float32 tensor to write. */
export interface TensorToWrite {
  shape: readonly number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;

/** Decodes one tensor's bytes (copied, so that typed arrays are aligned) to float32 / int32. */
function decode(dtype: SafetensorsDtype, bytes: Uint8Array, file: string, name: string): Float32Array | Int32Array {
  return decodeBlock(dtype, new Uint8Array(bytes), (why) => new CheckpointError(`${file}: tensor '${name}' ${why}`, file));
}

function corrupt(file: string, why: string): CheckpointError {
  return new CheckpointError(`${file}: not a valid safetensors file: ${why}`, file);
}

/** Parses a safetensors buffer. `file` is only used in error messages. */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): Map<string, StoredTensor> {
  if (bytes.length < 8) throw corrupt(file, `${bytes.length} bytes is shorter than the 8-byte header length`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw corrupt(file, `header length ${headerLen} exceeds the file (${bytes.length} bytes)`);
  }
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    throw corrupt(file, `header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const out = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw corrupt(file, `entry '${name}' is not an object`);
    const dtype = e.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new CheckpointError(
        `${file}: tensor '${name}' has unsupported dtype '${String(e.dtype)}'; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`,
        file,
      );
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw corrupt(file, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1] || offsets[1] > dataLen
    ) {
      throw corrupt(file, `tensor '${name}' has data_offsets ${JSON.stringify(offsets)} outside the ${dataLen} data bytes`);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const byteLen = (offsets[1] as number) - (offsets[0] as number);
    if (byteLen !== count * DTYPE_BYTES[dtype]) {
      throw corrupt(file, `tensor '${name}' (${dtype} ${JSON.stringify(shape)}) needs ${count * DTYPE_BYTES[dtype]} bytes, has ${byteLen}`);
    }
    const raw = bytes.subarray(dataStart + (offsets[0] as number), dataStart + (offsets[1] as number));
    out.set(name, { dtype, shape: shape as number[], data: decode(dtype, raw, file, name) });
  }
  return out;
}

/** Reads every tensor of a safetensors file. */
export async function readSafetensors(file: string): Promise<Map<string, StoredTensor>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new CheckpointError(`${file}: cannot read weights file (${(error as Error).message})`, file, {}, { cause: error });
  }
  return parseSafetensors(bytes, file);
}

/** Serialises float32 tensors (sorted by name, as the Python library does). */
export function serializeSafetensors(tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so that the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

/** Writes float32 tensors atomically. */
export async function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
