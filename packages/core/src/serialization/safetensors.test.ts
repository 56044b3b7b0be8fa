import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { parseSafetensors, serializeSafetensors, writeSafetensors } from './safetensors.js';

/** Builds a safetensors buffer by hand from a header object and raw data bytes. */
function build(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors through a file, sorted by name, with an 8-byte aligned data start', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    const file = path.join(dir, 'model.safetensors');
    await writeSafetensors(file, {
      'b.weight': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      'a.bias': { shape: [2], data: Float32Array.from([-1.5, 0.25]) },
    });
    const bytes = readFileSync(file);
    const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { data_offsets: number[] }>;
    expect(header['a.bias']!.data_offsets).toEqual([0, 8]);
    expect(header['b.weight']!.data_offsets).toEqual([8, 32]);
    const back = parseSafetensors(bytes, file);
    expect(Array.from(back.get('b.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.get('b.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(back.get('a.bias')!.data)).toEqual([-1.5, 0.25]);
  });

  it('decodes F16, BF16, F64 and I64 to the values they encode', () => {
    // F16: 0x3C00 = 1, 0xC000 = -2, 0x3555 ≈ 0.333251953125, 0x0001 = 2^-24 (subnormal)
    // BF16: 0x3F80 = 1, 0xC0A0 = -5; F64: 0.1; I64: 7
    const data = new Uint8Array(8 + 4 + 8 + 8);
    const v = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x3555, 0x0001].forEach((h, i) => v.setUint16(2 * i, h, true));
    v.setUint16(8, 0x3f80, true);
    v.setUint16(10, 0xc0a0, true);
    v.setFloat64(12, 0.1, true);
    v.setBigInt64(20, 7n, true);
    const bytes = build(
      {
        h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
        d: { dtype: 'F64', shape: [1], data_offsets: [12, 20] },
        i: { dtype: 'I64', shape: [1], data_offsets: [20, 28] },
        __metadata__: { format: 'pt' },
      },
      data,
    );
    const t = parseSafetensors(bytes);
    expect(Array.from(t.get('h')!.data)).toEqual([1, -2, 0.333251953125, 2 ** -24]);
    expect(Array.from(t.get('b')!.data)).toEqual([1, -5]);
    expect(t.get('d')!.data[0]).toBeCloseTo(0.1, 7);
    expect(t.get('i')!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(t.get('i')!.data)).toEqual([7]);
  });

  it('rejects corrupt files with a CheckpointError naming the file and the problem', () => {
    const good = serializeSafetensors({ w: { shape: [2], data: Float32Array.from([1, 2]) } });
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /f\.st: not a valid safetensors file: 5 bytes is shorter than the 8-byte header length/],
      [good.subarray(0, 20), /header length \d+ exceeds the file \(20 bytes\)/],
      [good.subarray(0, good.length - 4), /tensor 'w' has data_offsets \[0,8\] outside the 4 data bytes/],
      [build('just a string', new Uint8Array(0)), /header is not a JSON object/],
      [build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'w' \(F32 \[3\]\) needs 12 bytes, has 8/],
      [build({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'w' has unsupported dtype 'C64'; supported: F64, F32, F16, BF16/],
      [build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' has an invalid shape \[-1\]/],
    ];
    const corruptHeader = good.slice();
    corruptHeader[9] = 0xff;
    cases.push([corruptHeader, /header is not UTF-8 JSON/]);
    for (const [bytes, message] of cases) {
      let error: unknown;
      try {
        parseSafetensors(bytes, 'f.st');
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).file).toBe('f.st');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('fuzz: random bytes and truncations only ever raise CheckpointError', () => {
    const good = serializeSafetensors({ a: { shape: [3, 2], data: new Float32Array(6).fill(0.5) }, b: { shape: [1], data: Float32Array.from([2]) } });
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 400; trial++) {
      let bytes: Uint8Array;
      if (trial % 3 === 0) bytes = good.subarray(0, Math.floor(next() * good.length));
      else if (trial % 3 === 1) {
        bytes = good.slice();
        for (let k = 0; k < 4; k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      } else bytes = Uint8Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256));
      try {
        parseSafetensors(bytes, 'fuzz');
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointError);
      }
    }
  });
});
