import { DataError } from '@sbert/core';

/** Why a physical line was rejected before any format-specific parsing. */
export type LineIssueCode = 'invalid-utf8' | 'bare-cr';

/** A physical line rejected by {@link LineDecoder}; `line` is the 1-based file line. */
export interface LineIssue {
  line: number;
  code: LineIssueCode;
  reason: string;
}

/** Longest line accepted by default (a guard against binary or newline-free files). */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** A CR that does not start a CRLF pair. */
const BARE_CR = /\r(?!\n)/;

/** Number of occurrences of `byte` in `bytes` (memchr-speed via Buffer#indexOf). */
function countByte(bytes: Buffer, byte: number): number {
  let count = 0;
  for (let i = bytes.indexOf(byte); i >= 0; i = bytes.indexOf(byte, i + 1)) count++;
  return count;
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (overlong forms, surrogates
 * and code points above U+10FFFF included), or -1 when `bytes` is valid. Used only to say
 * *where* a line is broken; detection itself uses the native fatal TextDecoder.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Turns a byte stream into validated UTF-8 text, one physical line at a time, without ever
 * holding more than one chunk plus one partial line.
 *
 * - Lines end at LF; a CR before the LF is a CRLF line end (English STS-B is CRLF).
 * - A UTF-8 BOM at the very start of the file is dropped; anywhere else text is untouched.
 * - A line that is not valid UTF-8, or holds a CR that is not part of a CRLF, is replaced by
 *   an empty line and recorded as a {@link LineIssue} under its 1-based line number, so the
 *   consumer can report `file:line` while line numbering stays intact. (A bare CR is
 *   rejected because delimited-text parsers treat it as a line break, which would shift
 *   every later line number.)
 * - The output of {@link write} / {@link end} is a string of complete lines, each ending in
 *   a single `\n` (CRLF becomes LF); the last line of a file without a final newline gets
 *   one, so it parses like any other.
 *
 * Chunks that decode cleanly (the normal case) are passed through whole; only a chunk that
 * fails is re-decoded line by line to find the culprit.
 */
export class LineDecoder {
  private lines = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private atFileStart = true;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly issues = new Map<number, LineIssue>();

  constructor(
    readonly file: string,
    readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Physical lines decoded so far. */
  get lineCount(): number {
    return this.lines;
  }

  /** Feeds raw bytes; returns the text of the lines completed by them ('' if none). */
  write(chunk: Buffer): string {
    const lastNewline = chunk.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      this.hold(chunk);
      return '';
    }
    let body = chunk.subarray(0, lastNewline + 1);
    if (this.pending.length > 0) {
      body = Buffer.concat([...this.pending, body]);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const text = this.decodeLines(body, false);
    // Copy the partial tail: the chunk's memory may be reused by the producer.
    if (lastNewline + 1 < chunk.length) this.hold(Buffer.from(chunk.subarray(lastNewline + 1)));
    return text;
  }

  /** Flushes the last line when the file does not end with a newline. */
  end(): string {
    if (this.pendingBytes === 0) return '';
    const body = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return this.decodeLines(body, true);
  }

  /** Removes and returns the issue recorded for `line`, if any. */
  take(line: number): LineIssue | undefined {
    const issue = this.issues.get(line);
    if (issue !== undefined) this.issues.delete(line);
    return issue;
  }

  private hold(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > this.maxLineBytes) {
      throw new DataError(
        this.file,
        this.lines + 1,
        `line is longer than ${this.maxLineBytes} bytes (maxLineBytes); expected a line-oriented text file`,
      );
    }
  }

  /** `body` holds whole lines (the last one unterminated when `final`). */
  private decodeLines(body: Buffer, final: boolean): string {
    let bytes = body;
    if (this.atFileStart) {
      this.atFileStart = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    let text: string | undefined;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const hasCr = text.includes('\r');
      if (!hasCr || !BARE_CR.test(text)) {
        this.lines += countByte(bytes, 0x0a) + (final ? 1 : 0);
        if (hasCr) text = text.replaceAll('\r\n', '\n');
        return final ? `${text}\n` : text;
      }
    }
    return this.decodeLineByLine(bytes);
  }

  /** Slow path: decode each line alone so the bad ones can be named and blanked. */
  private decodeLineByLine(bytes: Buffer): string {
    const out: string[] = [];
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      this.lines++;
      out.push(this.decodeOne(bytes.subarray(start, end), this.lines), '\n');
      start = end + 1;
    }
    return out.join('');
  }

  private decodeOne(bytes: Buffer, line: number): string {
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      const at = firstInvalidUtf8(bytes);
      const byte = bytes[at] ?? 0;
      this.issues.set(line, {
        line,
        code: 'invalid-utf8',
        reason: `invalid UTF-8: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} at byte offset ${at} of the line`,
      });
      return '';
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.includes('\r')) {
      this.issues.set(line, {
        line,
        code: 'bare-cr',
        reason: 'carriage return (\\r) inside the line: expected LF or CRLF line ends only',
      });
      return '';
    }
    return text;
  }
}
