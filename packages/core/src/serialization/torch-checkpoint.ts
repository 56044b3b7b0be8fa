/**
 * PyTorch checkpoints (`torch.save(state_dict, 'pytorch_model.bin')`) read in TypeScript, without
 * Python and without running anything the file asks for.
 *
 * Two container formats:
 * - zip (torch >= 1.6): `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (raw
 *   storage bytes), `<archive>/byteorder`. Entries are stored (torch never compresses); deflated
 *   entries are inflated with a size limit.
 * - legacy (`_use_new_zipfile_serialization=False`): five pickles in a row (magic number,
 *   protocol version 1001, sys info, the object, the sorted storage keys), then for each key an
 *   int64 element count and the raw bytes. The tar format of PyTorch < 0.1.10 is rejected.
 *
 * The pickle is interpreted by a small machine that knows only the opcodes a state dict uses and
 * only these globals: `collections.OrderedDict`, `torch._utils._rebuild_tensor(_v2)`,
 * `torch._utils._rebuild_parameter(_with_state)` and the `torch.*Storage` types. Any other global
 * (`os.system`, `builtins.eval`, `argparse.Namespace`, ...) is a CheckpointError naming it: a
 * malicious pickle can make us throw, never run code. Tensors honour the storage offset, size and
 * stride (views of shared storages, non-contiguous views are gathered element by element).
 *
 * Everything is bounded by the file: sizes and offsets are checked against the bytes present,
 * every opcode consumes input (no loops), memo and stack grow at most one entry per opcode, and
 * materialised tensors may not exceed twice the storage bytes (stride-0 broadcasts cannot blow
 * memory). Floating storages (float32, float16, bfloat16, float64) come out as float32; integer
 * and bool storages as int32 (int64 values outside int32 are an error).
 */
import { promises as fs } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { CheckpointError } from '../errors.js';
import type { SafetensorsDtype, StoredTensor } from './safetensors.js';

/** torch storage class name → the dtype of its elements. */
const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The only callables a state dict needs; everything else is refused by name. */
const ALLOWED_CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const MAX_NDIM = 64;

// ------------------------------------------------------------------------------------------------
// Values the unpickler builds. No value ever holds code: globals are inert names.

class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}
class PickleList {
  readonly items: PickleValue[] = [];
}
type DictKey = string | number | boolean | null;
class PickleDict {
  readonly entries = new Map<DictKey, PickleValue>();
}
class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A storage named by a persistent id; `bytes` is attached when its data is located. */
class StorageRef {
  bytes: Uint8Array | undefined;
  constructor(readonly key: string, readonly dtype: SafetensorsDtype, readonly numel: number) {}
}
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}
type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleTuple | PickleList | PickleDict | PickleGlobal | StorageRef | TensorRef;

function describeValue(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v !== 'object') return typeof v;
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PickleGlobal) return `global ${v.qualified}`;
  return v.constructor.name.replace(/^Pickle/, '').replace(/Ref$/, '').toLowerCase();
}

// ------------------------------------------------------------------------------------------------
// The pickle machine.

interface UnpickleContext {
  file: string;
  /** Resolves a persistent id ('storage', type, key, location, numel[, view]) to a storage. */
  storage(key: string, dtype: SafetensorsDtype, numel: number): StorageRef;
}

class Unpickler {
  pos: number;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly bytes: Uint8Array, start: number, private readonly ctx: UnpickleContext) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(why: string): CheckpointError {
    return new CheckpointError(`${this.ctx.file}: corrupt or unsupported pickle at byte ${this.pos}: ${why}`, this.ctx.file);
  }

  private need(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.length) throw this.fail(`needs ${n} more bytes but the file ends at ${this.bytes.length}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.need(1)]!;
  }

  private text(n: number): string {
    const at = this.need(n);
    try {
      return this.utf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      throw this.fail('a string is not valid UTF-8');
    }
  }

  private line(): string {
    // GLOBAL's operands are newline-terminated; a module path is short.
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 256) throw this.fail('unterminated GLOBAL operand');
    const s = this.text(end - this.pos);
    this.pos++;
    return s;
  }

  /** Runs one pickle up to its STOP opcode and returns the object it builds. */
  load(): PickleValue {
    const stack: PickleValue[] = [];
    const marks: number[] = [];
    const memo = new Map<number, PickleValue>();
    const pop = (): PickleValue => {
      if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) throw this.fail('stack underflow');
      return stack.pop()!;
    };
    const top = (): PickleValue => {
      if (stack.length === 0) throw this.fail('stack underflow');
      return stack[stack.length - 1]!;
    };
    const popMark = (): PickleValue[] => {
      const m = marks.pop();
      if (m === undefined) throw this.fail('no MARK on the stack');
      return stack.splice(m);
    };
    const put = (i: number): void => {
      memo.set(i, top());
    };
    const get = (i: number): void => {
      if (!memo.has(i)) throw this.fail(`memo entry ${i} was never stored`);
      stack.push(memo.get(i)!);
    };
    for (;;) {
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) throw this.fail('pickle protocol above 5');
          break;
        case 0x95: // FRAME (a size hint)
          this.need(8);
          break;
        case 0x2e: // STOP
          if (stack.length !== 1 || marks.length) throw this.fail('STOP with an unbalanced stack');
          return stack[0]!;
        case 0x28: // MARK
          marks.push(stack.length);
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x30: // POP
          pop();
          break;
        case 0x32: // DUP
          stack.push(top());
          break;
        case 0x4e: // NONE
          stack.push(null);
          break;
        case 0x88: // NEWTRUE
          stack.push(true);
          break;
        case 0x89: // NEWFALSE
          stack.push(false);
          break;
        case 0x4a: // BININT
          stack.push(this.view.getInt32(this.need(4), true));
          break;
        case 0x4b: // BININT1
          stack.push(this.u8());
          break;
        case 0x4d: // BININT2
          stack.push(this.view.getUint16(this.need(2), true));
          break;
        case 0x8a: // LONG1
          stack.push(this.long(this.u8()));
          break;
        case 0x8b: // LONG4
          stack.push(this.long(this.view.getUint32(this.need(4), true)));
          break;
        case 0x47: // BINFLOAT (big-endian)
          stack.push(this.view.getFloat64(this.need(8), false));
          break;
        case 0x58: // BINUNICODE
          stack.push(this.text(this.view.getUint32(this.need(4), true)));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.push(this.text(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          stack.push(this.text(Number(this.view.getBigUint64(this.need(8), true))));
          break;
        case 0x55: // SHORT_BINSTRING (Python 2 str, read as Latin-1)
        case 0x54: {
          // BINSTRING
          const n = op === 0x55 ? this.u8() : this.view.getInt32(this.need(4), true);
          const at = this.need(n);
          let str = '';
          for (let i = at; i < at + n; i++) str += String.fromCharCode(this.bytes[i]!);
          stack.push(str);
          break;
        }
        case 0x43: // SHORT_BINBYTES
        case 0x42: {
          // BINBYTES
          const n = op === 0x43 ? this.u8() : this.view.getUint32(this.need(4), true);
          const at = this.need(n);
          stack.push(new Uint8Array(this.bytes.subarray(at, at + n)));
          break;
        }
        case 0x29: // EMPTY_TUPLE
          stack.push(new PickleTuple([]));
          break;
        case 0x74: // TUPLE
          stack.push(new PickleTuple(popMark()));
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          const items: PickleValue[] = [];
          for (let i = 0; i < n; i++) items.unshift(pop());
          stack.push(new PickleTuple(items));
          break;
        }
        case 0x5d: // EMPTY_LIST
          stack.push(new PickleList());
          break;
        case 0x6c: {
          // LIST
          const list = new PickleList();
          list.items.push(...popMark());
          stack.push(list);
          break;
        }
        case 0x7d: // EMPTY_DICT
          stack.push(new PickleDict());
          break;
        case 0x64: {
          // DICT
          const dict = new PickleDict();
          this.setItems(dict, popMark());
          stack.push(dict);
          break;
        }
        case 0x61: {
          // APPEND
          const v = pop();
          this.list(top()).items.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = popMark();
          this.list(top()).items.push(...items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = pop();
          const k = pop();
          this.setItems(this.dict(top()), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = popMark();
          this.setItems(this.dict(top()), items);
          break;
        }
        case 0x71: // BINPUT
          put(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          put(this.view.getUint32(this.need(4), true));
          break;
        case 0x94: // MEMOIZE
          put(memo.size);
          break;
        case 0x68: // BINGET
          get(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          get(this.view.getUint32(this.need(4), true));
          break;
        case 0x63: {
          // GLOBAL
          const module = this.line();
          const name = this.line();
          stack.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('STACK_GLOBAL operands are not strings');
          stack.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = pop();
          const fn = pop();
          stack.push(this.call(fn, args));
          break;
        }
        case 0x62: {
          // BUILD: only attribute state on dicts (OrderedDict._metadata) and parameters is accepted, and ignored.
          const state = pop();
          const obj = top();
          if (!(obj instanceof PickleDict || obj instanceof TensorRef)) throw this.fail(`BUILD on ${describeValue(obj)}`);
          void state;
          break;
        }
        case 0x51: {
          // BINPERSID
          stack.push(this.persistent(pop()));
          break;
        }
        default:
          throw this.fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not allowed in a state dict`);
      }
    }
  }

  private long(n: number): number | bigint {
    if (n > 64) throw this.fail(`a ${n}-byte integer`);
    const at = this.need(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[at + i]!);
    if (this.bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private list(v: PickleValue): PickleList {
    if (!(v instanceof PickleList)) throw this.fail(`APPEND to ${describeValue(v)}`);
    return v;
  }

  private dict(v: PickleValue): PickleDict {
    if (!(v instanceof PickleDict)) throw this.fail(`SETITEM on ${describeValue(v)}`);
    return v;
  }

  private setItems(dict: PickleDict, items: PickleValue[]): void {
    if (items.length % 2) throw this.fail('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i]!;
      if (!(k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean')) throw this.fail(`a dict key is a ${describeValue(k)}`);
      dict.entries.set(k, items[i + 1]!);
    }
  }

  private global(module: string, name: string): PickleGlobal {
    const g = new PickleGlobal(module, name);
    const isStorage = module === 'torch' && name in STORAGE_DTYPES;
    if (!isStorage && !ALLOWED_CALLABLES.has(g.qualified)) {
      const storageLike = module === 'torch' && name.endsWith('Storage');
      throw new CheckpointError(
        storageLike
          ? `${this.ctx.file}: storage type torch.${name} is not supported; supported: ${Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`).join(', ')}`
          : `${this.ctx.file}: the pickle references the global '${g.qualified}', which a state dict does not need; refusing to load it (allowed: ${[...ALLOWED_CALLABLES].join(', ')}, torch.*Storage)`,
        this.ctx.file,
      );
    }
    return g;
  }

  private int(v: PickleValue, what: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.fail(`${what} is ${typeof v === 'number' ? v : describeValue(v)}, expected a non-negative integer`);
    return v;
  }

  private ints(v: PickleValue, what: string): number[] {
    if (!(v instanceof PickleTuple || v instanceof PickleList)) throw this.fail(`${what} is a ${describeValue(v)}, expected a tuple`);
    if (v.items.length > MAX_NDIM) throw this.fail(`${what} has ${v.items.length} dimensions`);
    return v.items.map((x) => this.int(x, what));
  }

  private call(fn: PickleValue, args: PickleValue): PickleValue {
    if (!(fn instanceof PickleGlobal)) throw this.fail(`REDUCE calls a ${describeValue(fn)}`);
    if (!(args instanceof PickleTuple)) throw this.fail(`REDUCE arguments are a ${describeValue(args)}`);
    const a = args.items;
    switch (fn.qualified) {
      case 'collections.OrderedDict': {
        const d = new PickleDict();
        if (a.length === 1 && a[0] instanceof PickleList) {
          for (const pair of a[0].items) {
            if (!(pair instanceof PickleTuple || pair instanceof PickleList) || pair.items.length !== 2) throw this.fail('OrderedDict items are not pairs');
            this.setItems(d, pair.items);
          }
        } else if (a.length !== 0) throw this.fail('OrderedDict with unexpected arguments');
        return d;
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2': {
        const v2 = fn.name === '_rebuild_tensor_v2';
        if (v2 ? a.length < 6 || a.length > 7 : a.length !== 4) throw this.fail(`${fn.name} with ${a.length} arguments`);
        const storage = a[0];
        if (!(storage instanceof StorageRef)) throw this.fail(`${fn.name} on a ${describeValue(storage!)}, expected a storage`);
        const offset = this.int(a[1]!, 'storage offset');
        const shape = this.ints(a[2]!, 'size');
        const stride = this.ints(a[3]!, 'stride');
        if (shape.length !== stride.length) throw this.fail(`size has ${shape.length} dimensions, stride ${stride.length}`);
        return new TensorRef(storage, offset, shape, stride);
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        if (!(a[0] instanceof TensorRef)) throw this.fail(`${fn.name} on a ${describeValue(a[0] ?? null)}`);
        return a[0];
      }
      default:
        // Storage classes are only ever named inside persistent ids, never called.
        throw new CheckpointError(`${this.ctx.file}: the pickle calls '${fn.qualified}', which a state dict does not need; refusing to load it`, this.ctx.file);
    }
  }

  private persistent(pid: PickleValue): StorageRef {
    if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage' || pid.items.length < 5 || pid.items.length > 6) {
      throw this.fail(`persistent id ${describeValue(pid)} is not ('storage', type, key, location, size)`);
    }
    const [, type, key, , numel, view] = pid.items;
    if (!(type instanceof PickleGlobal) || !(type.name in STORAGE_DTYPES)) throw this.fail('persistent id without a storage type');
    if (typeof key !== 'string') throw this.fail('storage key is not a string');
    if (view !== undefined && view !== null) {
      throw new CheckpointError(`${this.ctx.file}: storage views of pre-1.0 PyTorch checkpoints are not supported; re-save the checkpoint with a recent torch`, this.ctx.file);
    }
    return this.ctx.storage(key, STORAGE_DTYPES[type.name]!, this.int(numel!, 'storage size'));
  }
}

// ------------------------------------------------------------------------------------------------
// zip container

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readZipDirectory(bytes: Uint8Array, file: string): Map<string, ZipEntry> {
  const corrupt = (why: string): CheckpointError => new CheckpointError(`${file}: corrupt zip archive: ${why}`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  // End of central directory: 22 bytes + a comment of at most 65535 bytes, searched from the end.
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end-of-central-directory record (truncated file?)');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  // Zip64: torch writes a zip64 record (and needs it above 4 GiB or 65535 entries).
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const at = Number(view.getBigUint64(eocd - 12, true));
    if (!Number.isSafeInteger(at) || at + 56 > n || view.getUint32(at, true) !== 0x06064b50) throw corrupt('bad zip64 end-of-central-directory locator');
    count = Number(view.getBigUint64(at + 32, true));
    cdSize = Number(view.getBigUint64(at + 40, true));
    cdOffset = Number(view.getBigUint64(at + 48, true));
  }
  if (!Number.isSafeInteger(cdOffset) || !Number.isSafeInteger(cdSize) || cdOffset + cdSize > n) throw corrupt(`central directory [${cdOffset}, +${cdSize}) lies outside the ${n}-byte file`);
  if (count > cdSize / 46) throw corrupt(`${count} entries cannot fit a ${cdSize}-byte central directory`);
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let e = 0; e < count; e++) {
    if (p + 46 > end || view.getUint32(p, true) !== 0x02014b50) throw corrupt(`central directory entry ${e} is damaged`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > end) throw corrupt(`central directory entry ${e} runs past the directory`);
    if (flags & 0x1) throw new CheckpointError(`${file}: encrypted zip entries are not supported`, file);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field: 64-bit values for the fields that hold 0xFFFFFFFF, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) break;
      if (id === 0x0001) {
        let q = x + 4;
        const next = (): number => {
          if (q + 8 > x + 4 + len) throw corrupt(`zip64 field of '${name}' is too short`);
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      x += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function zipEntryData(bytes: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const corrupt = (why: string): CheckpointError => new CheckpointError(`${file}: corrupt zip entry '${entry.name}': ${why}`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (!Number.isSafeInteger(at) || at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) throw corrupt('bad local header');
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (!Number.isSafeInteger(entry.compressedSize) || start + entry.compressedSize > bytes.length) throw corrupt(`${entry.compressedSize} bytes at ${start} run past the end of the ${bytes.length}-byte file (truncated?)`);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw corrupt('stored entry with different sizes');
    return raw;
  }
  if (entry.method === 8) {
    // Deflate expands at most ~1032:1; a larger claimed size is a zip bomb or a corrupt directory.
    if (entry.size > 1032 * entry.compressedSize + 65536) throw corrupt(`claims ${entry.size} bytes inflated from ${entry.compressedSize}`);
    try {
      const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      if (out.length !== entry.size) throw new Error(`inflated to ${out.length} bytes, expected ${entry.size}`);
      return out;
    } catch (error) {
      throw corrupt(`cannot inflate (${(error as Error).message})`);
    }
  }
  throw corrupt(`compression method ${entry.method} is not supported (only stored and deflate)`);
}

// ------------------------------------------------------------------------------------------------
// tensors

let f16Table: Float32Array | undefined;
/** float16 bit pattern → float32 value, for all 65536 patterns (built once). */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      f16Table[h] = exp === 0 ? sign * frac * 2 ** -24 : exp === 0x1f ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
    }
  }
  return f16Table;
}

/** Reads element `i` of a storage as a number (floats) or an int32-checked integer. */
function elementReader(dtype: SafetensorsDtype, view: DataView, little: boolean, fail: (why: string) => CheckpointError): (i: number) => number {
  switch (dtype) {
    case 'F32':
      return (i) => view.getFloat32(4 * i, little);
    case 'F64':
      return (i) => view.getFloat64(8 * i, little);
    case 'F16': {
      const table = halfTable();
      return (i) => table[view.getUint16(2 * i, little)]!;
    }
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      return (i) => {
        word.setUint32(0, view.getUint16(2 * i, little) << 16, true);
        return word.getFloat32(0, true);
      };
    }
    case 'I64':
      return (i) => {
        const v = view.getBigInt64(8 * i, little);
        if (v > 2147483647n || v < -2147483648n) throw fail(`holds the int64 value ${v}, which does not fit int32`);
        return Number(v);
      };
    case 'I32':
      return (i) => view.getInt32(4 * i, little);
    case 'I16':
      return (i) => view.getInt16(2 * i, little);
    case 'I8':
      return (i) => view.getInt8(i);
    case 'U8':
    case 'BOOL':
      return (i) => view.getUint8(i);
  }
}

/** Decodes a contiguous little-endian block (a fresh, aligned copy: never a Buffer view) in one pass. */
export function decodeBlock(dtype: SafetensorsDtype, raw: Uint8Array, fail: (why: string) => CheckpointError): Float32Array | Int32Array {
  const buf = raw.buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return Float32Array.from(new Float64Array(buf));
    case 'F16': {
      const table = halfTable();
      const h = new Uint16Array(buf);
      const out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = table[h[i]!]!;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const h = new Uint16Array(buf);
      const out = new Uint32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = h[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'I64': {
      const v = new BigInt64Array(buf);
      const out = new Int32Array(v.length);
      for (let i = 0; i < v.length; i++) {
        if (v[i]! > 2147483647n || v[i]! < -2147483648n) throw fail(`holds the int64 value ${v[i]}, which does not fit int32`);
        out[i] = Number(v[i]!);
      }
      return out;
    }
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return Int32Array.from(new Int16Array(buf));
    case 'I8':
      return Int32Array.from(new Int8Array(buf));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(new Uint8Array(buf));
  }
}

function materialize(name: string, t: TensorRef, little: boolean, file: string): StoredTensor {
  const fail = (why: string): CheckpointError => new CheckpointError(`${file}: tensor '${name}' ${why}`, file);
  const { storage, offset, shape, stride } = t;
  const bytes = storage.bytes;
  if (!bytes) throw fail(`refers to storage '${storage.key}', which has no data in the file`);
  const elem = DTYPE_BYTES[storage.dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw fail(`has an impossible size [${shape.join(', ')}]`);
  const floating = storage.dtype.startsWith('F') || storage.dtype === 'BF16';
  const out = floating ? new Float32Array(count) : new Int32Array(count);
  if (count === 0) return { dtype: storage.dtype, shape, data: out };
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
  if (!Number.isSafeInteger(last) || last >= storage.numel) {
    throw fail(`(size [${shape.join(', ')}], stride [${stride.join(', ')}], offset ${offset}) reaches element ${last} of storage '${storage.key}', which has ${storage.numel}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Row-major strides: a contiguous block (the usual case) is read straight through.
  let contiguous = true;
  for (let d = shape.length - 1, expect = 1; d >= 0; d--) {
    if (shape[d]! !== 1 && stride[d]! !== expect) contiguous = false;
    expect *= shape[d]!;
  }
  if (contiguous && little) return { dtype: storage.dtype, shape, data: decodeBlock(storage.dtype, new Uint8Array(bytes.subarray(offset * elem, (offset + count) * elem)), fail) };
  const read = elementReader(storage.dtype, view, little, fail);
  if (contiguous) {
    for (let i = 0; i < count; i++) out[i] = read(offset + i);
  } else {
    // Gather a strided view: walk the multi-index in row-major order.
    const index = new Array<number>(shape.length).fill(0);
    let src = offset;
    for (let i = 0; i < count; i++) {
      out[i] = read(src);
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d]!++;
        src += stride[d]!;
        if (index[d]! < shape[d]!) break;
        src -= shape[d]! * stride[d]!;
        index[d] = 0;
      }
    }
  }
  return { dtype: storage.dtype, shape, data: out };
}

/** The tensors of a loaded object: a state dict, or a checkpoint dict holding one. */
function stateDictOf(root: PickleValue, file: string): Map<string, TensorRef> {
  const tensors = (d: PickleDict): Map<string, TensorRef> => {
    const out = new Map<string, TensorRef>();
    for (const [k, v] of d.entries) if (v instanceof TensorRef && typeof k === 'string') out.set(k, v);
    return out;
  };
  if (!(root instanceof PickleDict)) throw new CheckpointError(`${file}: the checkpoint holds a ${describeValue(root)}, not a state dict of tensors`, file);
  const direct = tensors(root);
  if (direct.size) return direct;
  for (const key of ['state_dict', 'model', 'module', 'model_state_dict']) {
    const inner = root.entries.get(key);
    if (inner instanceof PickleDict && tensors(inner).size) return tensors(inner);
  }
  throw new CheckpointError(`${file}: the checkpoint holds no tensors (keys: ${[...root.entries.keys()].slice(0, 10).map(String).join(', ') || 'none'})`, file);
}

function toStored(refs: Map<string, TensorRef>, little: boolean, file: string): Map<string, StoredTensor> {
  // Views may repeat a storage; materialised data may not exceed twice the storage bytes (+1 MiB),
  // so that stride-0 broadcasts in a crafted file cannot exhaust memory.
  const storageBytes = new Set<StorageRef>();
  for (const t of refs.values()) storageBytes.add(t.storage);
  let budget = 2 * [...storageBytes].reduce((s, st) => s + (st.bytes?.length ?? 0), 0) + (1 << 20);
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of refs) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    budget -= count * 4;
    if (budget < 0) throw new CheckpointError(`${file}: tensor '${name}' (size [${t.shape.join(', ')}]) would materialise far more data than the file holds`, file);
    out.set(name, materialize(name, t, little, file));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// entry points

function parseZip(bytes: Uint8Array, file: string): Map<string, StoredTensor> {
  const entries = readZipDirectory(bytes, file);
  const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n)) ?? (entries.has('data.pkl') ? 'data.pkl' : undefined);
  if (!pkl) throw new CheckpointError(`${file}: a zip file without data.pkl is not a torch.save checkpoint (entries: ${[...entries.keys()].slice(0, 5).join(', ')})`, file);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  let little = true;
  if (order) {
    const text = new TextDecoder().decode(zipEntryData(bytes, order, file));
    if (text !== 'little' && text !== 'big') throw new CheckpointError(`${file}: byteorder is '${text.slice(0, 20)}', expected little or big`, file);
    little = text === 'little';
  }
  const storages = new Map<string, StorageRef>();
  const ctx: UnpickleContext = {
    file,
    storage(key, dtype, numel) {
      const seen = storages.get(`${key}:${dtype}`);
      if (seen) return seen;
      const entry = entries.get(`${prefix}data/${key}`);
      if (!entry) throw new CheckpointError(`${file}: storage '${key}' is missing from the archive (expected ${prefix}data/${key})`, file);
      const data = zipEntryData(bytes, entry, file);
      if (numel * DTYPE_BYTES[dtype] > data.length) throw new CheckpointError(`${file}: storage '${key}' should hold ${numel} ${dtype} elements but has ${data.length} bytes`, file);
      const ref = new StorageRef(key, dtype, numel);
      ref.bytes = data;
      storages.set(`${key}:${dtype}`, ref);
      return ref;
    },
  };
  const root = new Unpickler(zipEntryData(bytes, entries.get(pkl)!, file), 0, ctx).load();
  return toStored(stateDictOf(root, file), little, file);
}

function parseLegacy(bytes: Uint8Array, file: string): Map<string, StoredTensor> {
  const storages = new Map<string, StorageRef>();
  const ctx: UnpickleContext = {
    file,
    storage(key, dtype, numel) {
      const seen = storages.get(key);
      if (seen && seen.dtype !== dtype) throw new CheckpointError(`${file}: storage '${key}' is used as both ${seen.dtype} and ${dtype}`, file);
      if (seen) return seen;
      const ref = new StorageRef(key, dtype, numel);
      storages.set(key, ref);
      return ref;
    },
  };
  const u = new Unpickler(bytes, 0, ctx);
  const magic = u.load();
  if (magic !== LEGACY_MAGIC) throw new CheckpointError(`${file}: not a PyTorch checkpoint (bad legacy magic number)`, file);
  const protocol = u.load();
  if (protocol !== LEGACY_PROTOCOL) throw new CheckpointError(`${file}: legacy torch.save protocol ${String(protocol)} is not supported (expected ${LEGACY_PROTOCOL})`, file);
  const sysInfo = u.load();
  if (sysInfo instanceof PickleDict && sysInfo.entries.get('little_endian') === false) {
    throw new CheckpointError(`${file}: big-endian legacy checkpoints are not supported`, file);
  }
  const root = u.load();
  const keys = u.load();
  if (!(keys instanceof PickleList) || !keys.items.every((k) => typeof k === 'string')) throw new CheckpointError(`${file}: corrupt legacy checkpoint: the storage key list is missing`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = u.pos;
  for (const key of keys.items as string[]) {
    const ref = storages.get(key);
    if (!ref) throw new CheckpointError(`${file}: corrupt legacy checkpoint: storage '${key}' is listed but never used`, file);
    if (at + 8 > bytes.length) throw new CheckpointError(`${file}: truncated legacy checkpoint: storage '${key}' is missing`, file);
    const numel = Number(view.getBigInt64(at, true));
    const n = numel * DTYPE_BYTES[ref.dtype];
    if (numel !== ref.numel || at + 8 + n > bytes.length) {
      throw new CheckpointError(`${file}: truncated or corrupt legacy checkpoint: storage '${key}' needs ${ref.numel} ${ref.dtype} elements, the file has ${numel} / ${bytes.length - at - 8} bytes left`, file);
    }
    ref.bytes = bytes.subarray(at + 8, at + 8 + n);
    at += 8 + n;
  }
  return toStored(stateDictOf(root, file), true, file);
}

/**
 * Parses a `torch.save` checkpoint held in memory. Only state dicts are accepted (a dict of
 * tensors, or a dict holding one under `state_dict` / `model` / `module`). Throws CheckpointError
 * for anything else, naming `file`.
 */
export function parseTorchCheckpoint(bytes: Uint8Array, file = '<buffer>'): Map<string, StoredTensor> {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  try {
    if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return parseZip(bytes, file);
    // safetensors: a little-endian u64 header length that fits the file, then a JSON object.
    if (bytes.length >= 10 && bytes[8] === 0x7b && new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) <= BigInt(bytes.length - 8)) {
      throw new CheckpointError(`${file}: this looks like a safetensors file, not a PyTorch checkpoint; name it model.safetensors`, file);
    }
    if (starts(0x80) && bytes.length > 2 && bytes[1]! <= 5) return parseLegacy(bytes, file);
    if (bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
      throw new CheckpointError(`${file}: the tar-based torch.save format of PyTorch < 0.1.10 is not supported; re-save the state dict with a recent torch`, file);
    }
    throw new CheckpointError(`${file}: not a PyTorch checkpoint (neither the zip format of torch.save nor its legacy pickle format)`, file);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    // A bounds check missed above (e.g. a DataView read) still reports the file, never crashes.
    throw new CheckpointError(`${file}: corrupt PyTorch checkpoint (${(error as Error).message})`, file, {}, { cause: error });
  }
}

/** Reads every tensor of a `pytorch_model.bin` (see parseTorchCheckpoint). */
export async function readTorchCheckpoint(file: string): Promise<Map<string, StoredTensor>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new CheckpointError(`${file}: cannot read weights file (${(error as Error).message})`, file, {}, { cause: error });
  }
  return parseTorchCheckpoint(bytes, file);
}
