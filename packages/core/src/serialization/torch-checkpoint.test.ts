/**
 * The PyTorch checkpoint reader: real torch.save files written by tools/parity (zip, legacy,
 * float16, bfloat16, shared storages and strided views) against the same weights in safetensors,
 * hand-built malicious / corrupt pickles, and a fuzz run over both readers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { repoRoot } from '../test-utils/paths.js';
import { parseSafetensors, type StoredTensor } from './safetensors.js';
import { readStateDict } from './state-dict.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint.js';

const FIXTURES = path.join(repoRoot, 'tools/parity/fixtures/checkpoints');
const bin = (dir: string): string => path.join(FIXTURES, dir, 'pytorch_model.bin');

/** The BertModel weights as safetensors shards (written by transformers' save_pretrained). */
async function reference(): Promise<Map<string, StoredTensor>> {
  return (await readStateDict(path.join(FIXTURES, 'bert-sharded-safetensors'))).tensors;
}

function expectSame(got: StoredTensor | undefined, want: StoredTensor, name: string): void {
  expect(got, name).toBeDefined();
  expect(got!.shape, name).toEqual(want.shape);
  expect(Array.from(got!.data), name).toEqual(Array.from(want.data));
}

// ------------------------------------------------------------------------------------------------
// Builders for hand-made checkpoints.

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** Pickle opcodes as bytes: numbers are raw bytes, strings are BINUNICODE strings. */
function pickle(...parts: (number | string | number[])[]): Uint8Array {
  const out: number[] = [0x80, 2];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') out.push(0x58, ...u32(utf8(p).length), ...utf8(p));
    else out.push(...p);
  }
  out.push(0x2e); // STOP
  return Uint8Array.from(out);
}
const GLOBAL = (module: string, name: string): number[] => [0x63, ...utf8(`${module}\n${name}\n`)];
const MARK = 0x28;
const TUPLE = 0x74;
const REDUCE = 0x52;
const BININT1 = (n: number): number[] => [0x4b, n];

/** `{name: tensor}` where the tensor views storage '0' of `storageType` holding `numel` elements. */
function stateDictPickle(name: string, t: { storageType?: string; numel: number; offset?: number; size: number[]; stride: number[] }): Uint8Array {
  const ints = (xs: number[]): number[] => [MARK, ...xs.flatMap(BININT1), TUPLE];
  return pickle(
    0x7d, // EMPTY_DICT
    name,
    GLOBAL('torch._utils', '_rebuild_tensor_v2'),
    MARK,
    [MARK], 'storage', GLOBAL('torch', t.storageType ?? 'FloatStorage'), '0', 'cpu', BININT1(t.numel), [TUPLE, 0x51], // persistent id → BINPERSID
    BININT1(t.offset ?? 0),
    ints(t.size),
    ints(t.stride),
    0x89, // NEWFALSE
    0x7d, // hooks: {}
    TUPLE,
    REDUCE,
    0x73, // SETITEM
  );
}

/** A zip of `entries`, stored as torch writes them, or deflated (no CRCs checked here). */
function zip(entries: [string, Uint8Array][], deflate = false): Uint8Array {
  const parts: number[] = [];
  const central: number[] = [];
  const method = deflate ? 8 : 0;
  for (const [name, raw] of entries) {
    const data = deflate ? deflateRawSync(raw) : raw;
    const offset = parts.length;
    const n = utf8(name);
    const sizes = [...u32(0), ...u32(data.length), ...u32(raw.length)];
    parts.push(...u32(0x04034b50), 20, 0, 0, 0, method, 0, 0, 0, 0, 0, ...sizes, n.length, 0, 0, 0, ...n, ...data);
    central.push(...u32(0x02014b50), 20, 0, 20, 0, 0, 0, method, 0, 0, 0, 0, 0, ...sizes, n.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(offset), ...n);
  }
  const cdOffset = parts.length;
  parts.push(...central, ...u32(0x06054b50), 0, 0, 0, 0, entries.length, 0, entries.length, 0, ...u32(central.length), ...u32(cdOffset), 0, 0);
  return Uint8Array.from(parts);
}

function checkpoint(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, deflate = false): Uint8Array {
  return zip([['archive/data.pkl', pkl], ['archive/byteorder', Uint8Array.from(utf8('little'))], ...Object.entries(storages).map(([k, v]): [string, Uint8Array] => [`archive/data/${k}`, v])], deflate);
}

function errorOf(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

// ------------------------------------------------------------------------------------------------

describe('readTorchCheckpoint on files written by torch.save', () => {
  it('zip format: BertForPreTraining weights equal the safetensors copy; the tied decoder shares the embedding storage', async () => {
    const ref = await reference();
    const got = await readTorchCheckpoint(bin('bert-bin'));
    for (const [name, t] of ref) expectSame(got.get(`bert.${name}`), t, name);
    expect(got.has('cls.predictions.transform.dense.weight')).toBe(true);
    expectSame(got.get('cls.predictions.decoder.weight'), got.get('bert.embeddings.word_embeddings.weight')!, 'tied decoder');
    expect(got.get('bert.embeddings.word_embeddings.weight')!.dtype).toBe('F32');
  });

  it('views: offsets into shared storages, transposed and step-2 strided tensors equal the contiguous originals', async () => {
    const ref = await reference();
    const got = await readTorchCheckpoint(bin('bert-bin-views'));
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [name, t] of ref) expectSame(got.get(name), t, name);
  });

  it('legacy format (_use_new_zipfile_serialization=False) with gamma/beta names and an int64 buffer', async () => {
    const ref = await reference();
    const got = await readTorchCheckpoint(bin('bert-bin-legacy'));
    const legacyName = (n: string): string => `bert.${n}`.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
    for (const [name, t] of ref) expectSame(got.get(legacyName(name)), t, name);
    const ids = got.get('bert.embeddings.position_ids')!;
    expect(ids.dtype).toBe('I64');
    expect(ids.shape).toEqual([1, 64]);
    expect(Array.from(ids.data)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('float16 and bfloat16 storages decode to the nearest half / bfloat16 of each float32 weight', async () => {
    const ref = await reference();
    const half = await readTorchCheckpoint(bin('bert-bin-fp16'));
    const bf16 = await readTorchCheckpoint(bin('bert-bin-bf16'));
    // bfloat16(x): float32 bits rounded to nearest even at bit 16.
    const word = new DataView(new ArrayBuffer(4));
    const toBf16 = (x: number): number => {
      word.setFloat32(0, x, true);
      const bits = word.getUint32(0, true);
      word.setUint32(0, ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16, true);
      return word.getFloat32(0, true);
    };
    for (const [name, t] of ref) {
      expect(half.get(name)!.dtype).toBe('F16');
      expect(bf16.get(name)!.dtype).toBe('BF16');
      const h = half.get(name)!.data;
      const b = bf16.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) {
        const x = t.data[i]!;
        // float16 has an 11-bit significand: relative error <= 2^-11 (absolute 2^-25 near zero).
        expect(Math.abs(h[i]! - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
        expect(b[i]).toBe(toBf16(x));
      }
    }
  });

  it('a hand-built checkpoint with a strided int32 view, stored or deflated (re-zipped by another tool)', () => {
    const data = new Int32Array([10, 11, 12, 13, 14, 15, 16]);
    for (const deflate of [false, true]) {
      const bytes = checkpoint(stateDictPickle('w', { storageType: 'IntStorage', numel: 7, offset: 1, size: [2, 3], stride: [1, 2] }), { 0: new Uint8Array(data.buffer) }, deflate);
      const w = parseTorchCheckpoint(bytes, 'w.bin').get('w')!;
      expect(w.shape).toEqual([2, 3]);
      // element [i][j] = storage[1 + i + 2j]
      expect(Array.from(w.data)).toEqual([11, 13, 15, 12, 14, 16]);
    }
  });
});

describe('unsafe, unsupported and corrupt checkpoints give a CheckpointError naming the problem', () => {
  it('refuses every global a state dict does not need, before anything could run', () => {
    const marker = path.join(tmpdir(), `sbert-pwned-${process.pid}`);
    const cases: [Uint8Array, string][] = [
      [pickle(GLOBAL('os', 'system'), `touch ${marker}`, 0x85, REDUCE), "'os.system'"],
      [pickle('builtins', 'eval', 0x93, 'print(1)', 0x85, REDUCE), "'builtins.eval'"],
      [pickle(GLOBAL('posix', 'system'), 'id', 0x85, REDUCE), "'posix.system'"],
      [pickle(0x7d, 'args', GLOBAL('argparse', 'Namespace'), 0x29, REDUCE, 0x73), "'argparse.Namespace'"],
      [pickle(GLOBAL('torch', 'FloatStorage'), 0x29, REDUCE), "calls 'torch.FloatStorage'"],
    ];
    for (const [pkl, name] of cases) {
      const error = errorOf(() => parseTorchCheckpoint(checkpoint(pkl), 'evil.bin'));
      expect(error.message).toContain(name);
      expect(error.file).toBe('evil.bin');
    }
    expect(existsSync(marker)).toBe(false);
    // Opcodes that build arbitrary objects (INST, OBJ, NEWOBJ) are not interpreted at all.
    for (const op of [0x69, 0x6f, 0x81]) {
      expect(errorOf(() => parseTorchCheckpoint(checkpoint(pickle(MARK, op)), 'evil.bin')).message).toContain(`opcode 0x${op.toString(16)} is not allowed`);
    }
  });

  it('names unsupported dtypes, missing storages, out-of-range views and int64 overflow', () => {
    const storage = new Uint8Array(32);
    expect(errorOf(() => parseTorchCheckpoint(checkpoint(stateDictPickle('w', { storageType: 'ComplexFloatStorage', numel: 4, size: [4], stride: [1] }), { 0: storage }), 'm.bin')).message)
      .toContain('storage type torch.ComplexFloatStorage is not supported');
    expect(errorOf(() => parseTorchCheckpoint(checkpoint(stateDictPickle('w', { numel: 4, size: [4], stride: [1] })), 'm.bin')).message)
      .toBe("m.bin: storage '0' is missing from the archive (expected archive/data/0)");
    expect(errorOf(() => parseTorchCheckpoint(checkpoint(stateDictPickle('w', { numel: 9, size: [4], stride: [1] }), { 0: storage }), 'm.bin')).message)
      .toBe("m.bin: storage '0' should hold 9 F32 elements but has 32 bytes");
    expect(errorOf(() => parseTorchCheckpoint(checkpoint(stateDictPickle('w', { numel: 8, offset: 2, size: [2, 4], stride: [4, 1] }), { 0: storage }), 'm.bin')).message)
      .toBe("m.bin: tensor 'w' (size [2, 4], stride [4, 1], offset 2) reaches element 9 of storage '0', which has 8");
    const big = new BigInt64Array([1n, 1n << 40n]);
    expect(errorOf(() => parseTorchCheckpoint(checkpoint(stateDictPickle('ids', { storageType: 'LongStorage', numel: 2, size: [2], stride: [1] }), { 0: new Uint8Array(big.buffer) }), 'm.bin')).message)
      .toBe("m.bin: tensor 'ids' holds the int64 value 1099511627776, which does not fit int32");
  });

  it('bounds stride-0 broadcasts by the bytes in the file', () => {
    const bytes = checkpoint(stateDictPickle('w', { numel: 1, size: [250, 250, 250], stride: [0, 0, 0] }), { 0: new Uint8Array(4) });
    expect(errorOf(() => parseTorchCheckpoint(bytes, 'm.bin')).message).toContain('would materialise far more data than the file holds');
  });

  it('recognises other formats and truncations', () => {
    expect(errorOf(() => parseTorchCheckpoint(new Uint8Array(0), 'e.bin')).message).toBe('e.bin: not a PyTorch checkpoint (neither the zip format of torch.save nor its legacy pickle format)');
    const tar = new Uint8Array(1024);
    tar.set(utf8('ustar'), 257);
    expect(errorOf(() => parseTorchCheckpoint(tar, 't.bin')).message).toContain('tar-based torch.save format of PyTorch < 0.1.10 is not supported');
    const st = readFileSync(path.join(FIXTURES, 'bert-sharded-safetensors', 'model-00001-of-00002.safetensors'));
    expect(errorOf(() => parseTorchCheckpoint(st, 's.bin')).message).toContain('looks like a safetensors file');
    const zipped = readFileSync(bin('bert-bin'));
    expect(errorOf(() => parseTorchCheckpoint(zipped.subarray(0, zipped.length - 100), 'z.bin')).message).toMatch(/^z\.bin: corrupt zip archive/);
    const legacy = readFileSync(bin('bert-bin-legacy'));
    expect(errorOf(() => parseTorchCheckpoint(legacy.subarray(0, legacy.length - 100), 'l.bin')).message).toMatch(/^l\.bin: truncated or corrupt legacy checkpoint: storage '\d+' needs \d+ F32 elements/);
    expect(errorOf(() => parseTorchCheckpoint(checkpoint(pickle(BININT1(3))), 'n.bin')).message).toBe('n.bin: the checkpoint holds a number, not a state dict of tensors');
  });
});

describe('fuzz: random bytes, truncations and bit flips never escape as anything but CheckpointError', () => {
  let seed = 20240611;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const mutate = (good: Uint8Array, trial: number, hot: number): Uint8Array => {
    if (trial % 4 === 0) return good.subarray(0, Math.floor(rand() * good.length));
    if (trial % 4 === 3) return Uint8Array.from({ length: Math.floor(rand() * 512) }, () => Math.floor(rand() * 256));
    const bytes = good.slice();
    // Half the flips land in the structure (pickle, headers, zip directory), half anywhere.
    for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
      const at = trial % 4 === 1 ? Math.floor(rand() * Math.min(hot, bytes.length)) : bytes.length - 1 - Math.floor(rand() * Math.min(2048, bytes.length));
      bytes[at] = Math.floor(rand() * 256);
    }
    return bytes;
  };
  const files: [string, (b: Uint8Array) => unknown, number][] = [
    [bin('bert-bin-views'), (b) => parseTorchCheckpoint(b, 'fuzz.bin'), 5000],
    [bin('bert-bin-legacy'), (b) => parseTorchCheckpoint(b, 'fuzz.bin'), 8000],
    [path.join(FIXTURES, 'bert-sharded-safetensors', 'model-00002-of-00002.safetensors'), (b) => parseSafetensors(b, 'fuzz.safetensors'), 4000],
  ];
  for (const [file, parse, hot] of files) {
    it(`${path.relative(FIXTURES, file)}: 400 mutations, each parsed within 2 s`, () => {
      const good = new Uint8Array(readFileSync(file));
      let errors = 0;
      let slowest = 0;
      for (let trial = 0; trial < 400; trial++) {
        const bytes = mutate(good, trial, hot);
        const t0 = performance.now();
        try {
          parse(bytes);
        } catch (error) {
          if (!(error instanceof CheckpointError)) throw new Error(`trial ${trial}: ${(error as Error).stack}`);
          expect(error.message.startsWith('fuzz.')).toBe(true);
          errors++;
        }
        slowest = Math.max(slowest, performance.now() - t0);
      }
      expect(errors).toBeGreaterThan(100);
      expect(slowest).toBeLessThan(2000);
    });
  }
});
