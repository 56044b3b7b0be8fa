/**
 * The protobuf encoder against the byte examples of the Protocol Buffers encoding guide
 * (protobuf.dev/programming-guides/encoding): `08 96 01` for field 1 = 150, `12 07 74 65 73 74
 * 69 6e 67` for field 2 = "testing", `1a 03 08 96 01` for that first message nested as field 3,
 * 300 as `ac 02`, and negative int64 as ten bytes of two's complement.
 */
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './proto.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('writes varint, string and nested message fields as in the encoding guide', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601');
    expect(hex(new ProtoWriter().int(1, 300).finish())).toBe('08ac02');
    expect(hex(new ProtoWriter().int(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().int(1, 2 ** 40).finish())).toBe('08808080808020');
  });

  it('writes floats little-endian with wire type 5, and large bytes fields by reference', () => {
    expect(hex(new ProtoWriter().float(1, 1).finish())).toBe('0d0000803f');
    const big = new Uint8Array(10_000).fill(7);
    const inner = new ProtoWriter().int(1, 1).bytes(9, big);
    const outer = new ProtoWriter().message(5, inner).int(2, 3).finish();
    // key 0x2a, length 2 + 1 + 2 + 10_000 = 10_005 = 0x95 0x4e; inner: 08 01, key 0x4a, length
    // 10_000 = 0x90 0x4e, then the data.
    expect(hex(outer.subarray(0, 9))).toBe('2a954e08014a904e07');
    expect(outer.length).toBe(3 + 10_005 + 2);
    expect(hex(outer.subarray(outer.length - 2))).toBe('1003');
  });

  it('rejects non-integers', () => {
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow('protobuf field 1: 1.5 is not an integer');
  });
});
