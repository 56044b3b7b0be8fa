/**
 * Streams a file as lines of bytes with 1-based line numbers, in bounded memory. Splitting on
 * 0x0A is safe before decoding because that byte never occurs inside a multi-byte UTF-8 sequence.
 */
import { createReadStream } from 'node:fs';
import { DataError } from '@sbert/core';

export interface RawLine {
  /** 1-based line number. */
  line: number;
  /** The line without its `\n` (and without a `\r` before it). */
  bytes: Buffer;
}

export interface ReadLinesOptions {
  /** Longer lines are a DataError (default 64 MiB), so one bad line cannot exhaust memory. */
  maxLineBytes?: number;
  /** Sees every raw chunk of the file, e.g. to hash it while reading. */
  onChunk?: (chunk: Buffer) => void;
}

export async function* readLines(file: string, options: ReadLinesOptions = {}): AsyncGenerator<RawLine> {
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024 * 1024;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const finish = (tail: Buffer): RawLine => {
    line++;
    let bytes = pending.length ? Buffer.concat([...pending, tail]) : tail;
    pending = [];
    pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    return { line, bytes };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      options.onChunk?.(chunk);
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        if (pendingBytes + nl - start > maxLineBytes) throw new DataError(file, line + 1, `line is longer than ${maxLineBytes} bytes`);
        yield finish(chunk.subarray(start, nl));
        start = nl + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) throw new DataError(file, line + 1, `line is longer than ${maxLineBytes} bytes`);
      }
    }
    // A last line without a final newline still counts; a final newline adds no empty line.
    if (pendingBytes > 0) yield finish(Buffer.alloc(0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(file, undefined, 'file not found');
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new DataError(file, undefined, 'is a directory, expected a file');
    throw error;
  } finally {
    stream.destroy();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes one line as strict UTF-8 (a BOM at the start of line 1 is dropped). */
export function decodeLine(file: string, raw: RawLine): string {
  let bytes = raw.bytes;
  if (raw.line === 1 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DataError(file, raw.line, `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)} of the line`);
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return i;
}
