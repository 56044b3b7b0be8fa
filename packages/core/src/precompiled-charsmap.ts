/**
 * SentencePiece's `precompiled_charsmap` (the `Precompiled` normaliser of XLM-R, T5, ALBERT, ...
 * tokenizer.json files), applied as Rust `tokenizers` applies it.
 *
 * @huggingface/tokenizers 0.2 ignores the charsmap and approximates it with a few regular
 * expressions and `String.normalize('NFKC')`; that differs from the charsmap on combining
 * sequences, decomposed Hangul, zero-width and control characters, half-width kana with
 * voicing marks, etc. (tools/parity/fixtures/checkpoints/xlm-roberta-charsmap.expected.json).
 *
 * Format (little-endian): `u32 trieBytes`, then a Darts-clone double-array trie of
 * `trieBytes / 4` u32 units over UTF-8 byte keys, then a blob of NUL-terminated UTF-8 strings;
 * a key's value is the byte offset of its replacement in the blob.
 *
 * Rules of Rust tokenizers 0.23 (`normalizers::precompiled` + the `spm_precompiled` crate),
 * reproduced here:
 * - the text is cut into extended grapheme clusters;
 * - a cluster shorter than 6 UTF-8 bytes is looked up as a whole: if some key is a prefix of
 *   it, the SHORTEST such key's replacement replaces the WHOLE cluster (so "Ａ\u034F" becomes
 *   "A": marks after a mapped character are dropped);
 * - otherwise each code point is looked up alone and replaced when it is a key.
 * SentencePiece itself does a longest-match scan over the bytes instead (it composes e.g.
 * conjoining Hangul jamo that Rust leaves alone); transformers 5 runs the Rust rules.
 */
import { ConfigError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });
let segmenter: Intl.Segmenter | undefined;
/** Letters, numbers, punctuation, symbols and spaces: each is a grapheme cluster of its own ... */
const PLAIN = /^[\p{L}\p{N}\p{P}\p{S}\p{Zs}]*$/u;
/**
 * ... unless it can join a neighbour: grapheme extenders, spacing marks, Hangul jamo, regional
 * indicators, emoji modifiers and the prepended letters (checked against Node 20's ICU for every
 * code point: with none of these, "xx" and "axa" split into single code points).
 */
const JOINING = /[\p{Grapheme_Extend}\p{Mc}\u0e33\u0eb3\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u0d4e\u{111c2}\u{111c3}\u{113d1}\u{1193f}\u{11941}\u{11a3a}\u{11a84}-\u{11a89}\u{11d46}\u{11f02}\u{16d63}\u{16d67}-\u{16d6a}\u{1f1e6}-\u{1f1ff}\u{1f3fb}-\u{1f3ff}]/u;

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly blob: Uint8Array;
  private readonly cache = new Map<number, string>();
  /** No printable ASCII character is a key: such text passes through unchanged. */
  private readonly asciiIsIdentity: boolean;
  private readonly buffer = new Uint8Array(8);

  /** @param base64 the `precompiled_charsmap` string of a tokenizer.json `Precompiled` normaliser. */
  constructor(base64: string) {
    const bytes = Buffer.from(base64, 'base64');
    const fail = (why: string): never => {
      throw new ConfigError(`Precompiled normalizer: precompiled_charsmap is not a SentencePiece charsmap (${why})`, { field: 'precompiled_charsmap' });
    };
    if (bytes.length < 4) fail(`${bytes.length} bytes`);
    const trieBytes = bytes.readUInt32LE(0);
    if (trieBytes % 4 !== 0 || trieBytes === 0 || 4 + trieBytes > bytes.length) fail(`trie size ${trieBytes} for ${bytes.length} bytes`);
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = bytes.readUInt32LE(4 + 4 * i);
    this.blob = new Uint8Array(bytes.buffer, bytes.byteOffset + 4 + trieBytes, bytes.length - 4 - trieBytes);
    let identity = true;
    for (let c = 0x20; c < 0x7f && identity; c++) identity = this.firstMatch(Uint8Array.of(c), 1) === undefined;
    this.asciiIsIdentity = identity;
  }

  /** The text after the charsmap, as Rust tokenizers' `Precompiled` normaliser gives it. */
  normalize(text: string): string {
    if (this.asciiIsIdentity && /^[\x20-\x7e]*$/.test(text)) return text;
    let out = '';
    if (PLAIN.test(text) && !JOINING.test(text)) {
      // Every code point is its own cluster: look each one up (the common case, and much faster).
      for (const ch of text) {
        const c = ch.charCodeAt(0);
        out += this.asciiIsIdentity && c >= 0x20 && c < 0x7f ? ch : (this.firstMatch(this.buffer, this.encode(ch)) ?? ch);
      }
      return out;
    }
    segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    for (const { segment } of segmenter.segment(text)) {
      if (segment.length <= 5) {
        const n = this.encode(segment);
        if (n < 6) {
          const whole = this.firstMatch(this.buffer, n);
          if (whole !== undefined) {
            out += whole;
            continue;
          }
        }
      }
      for (const ch of segment) {
        const mapped = this.firstMatch(this.buffer, this.encode(ch));
        out += mapped ?? ch;
      }
    }
    return out;
  }

  /** UTF-8 of `s` into `this.buffer` (up to its size); returns the full byte length. */
  private encode(s: string): number {
    const { read, written } = encoder.encodeInto(s, this.buffer);
    return read === s.length ? written : this.buffer.length + 1;
  }

  /** Replacement of the shortest key that is a prefix of `key[0..n)` (Darts common-prefix search). */
  private firstMatch(key: Uint8Array, n: number): string | undefined {
    const u = this.units;
    let node = offset(u[0] ?? 0);
    for (let i = 0; i < n; i++) {
      const c = key[i]!;
      if (c === 0) return undefined;
      node ^= c;
      const unit = u[node];
      if (unit === undefined || (unit & 0x800000ff) !== c) return undefined;
      node ^= offset(unit);
      if ((unit >>> 8) & 1) return this.replacement((u[node] ?? 0) & 0x7fffffff);
    }
    return undefined;
  }

  private replacement(at: number): string {
    let s = this.cache.get(at);
    if (s === undefined) {
      let end = at;
      while (end < this.blob.length && this.blob[end] !== 0) end++;
      s = decoder.decode(this.blob.subarray(at, end));
      this.cache.set(at, s);
    }
    return s;
  }
}

/** Darts-clone unit offset: bits 10.. shifted left by 8 more when bit 9 is set. */
function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
