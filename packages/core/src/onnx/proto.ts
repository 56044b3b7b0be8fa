/**
 * A minimal Protocol Buffers encoder: just what writing an ONNX ModelProto needs.
 *
 * Wire format (protobuf encoding spec): every field is a key `(field_number << 3) | wire_type`
 * as a base-128 varint, then its value: wire type 0 a varint (int32/int64/enum/bool; negative
 * numbers as their 64-bit two's complement, 10 bytes), 2 a varint length and that many bytes
 * (string, bytes, nested message), 5 four little-endian bytes (float). Repeated fields are
 * written one key per element (proto2's unpacked form, which every parser accepts).
 *
 * Nested messages are kept as lists of chunks, so a 100 MB weight is referenced, not copied,
 * until `finish()` joins everything once.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Raw data above this size is kept by reference instead of copied into the scratch buffer. */
const BIG_CHUNK = 4096;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;
  private flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** An unsigned varint (no key). Numbers must be non-negative safe integers; bigints any uint64. */
  rawVarint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    // Negative numbers and anything above 31 bits: go through 64-bit two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private key(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** An int32 / int64 / enum / bool field. */
  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`protobuf field ${field}: ${value} is not an integer`);
    this.key(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** A float field (IEEE 754 single precision, little-endian). */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  /** A bytes field. Large arrays are kept by reference: do not change them before finish(). */
  bytes(field: number, data: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.rawVarint(data.length);
    if (data.length >= BIG_CHUNK) {
      this.flush();
      this.chunks.push(data);
      this.flushed += data.length;
    } else {
      this.ensure(data.length);
      this.buf.set(data, this.pos);
      this.pos += data.length;
    }
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message field. `message` must not be written to afterwards. */
  message(field: number, message: ProtoWriter): this {
    this.key(field, WIRE_LEN);
    this.rawVarint(message.length);
    message.flush();
    this.flush();
    for (const c of message.chunks) this.chunks.push(c);
    this.flushed += message.flushed;
    return this;
  }

  /** The encoded bytes. */
  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
