import { pipeline, Transform } from 'node:stream';
import { parse } from 'fast-csv';
import { asDataError, openByteStream } from './open-byte-stream.js';
import { DEFAULT_MAX_LINE_BYTES, LineDecoder } from './line-decoder.js';
import type { LineSink } from './line-sink.js';

/** One parsed row; `line` is the 1-based file line it starts on. */
export interface DelimitedRow {
  line: number;
  fields: string[];
}

export interface DelimitedOptions {
  /** Field separator, one character. Default TAB. */
  delimiter?: string;
  /**
   * Quote character, or null for none (default). TSV formats have no quoting: a `"` is a
   * literal character (English STS-B has 412 such lines). With a quote character a quoted
   * field may span lines; `line` is then the row's first line.
   */
  quote?: string | null;
  maxLineBytes?: number;
}

/**
 * fast-csv scans its input with regexes over `line.substr(cursor)`, so its cost and garbage
 * grow with the size of each string it is given: feeding it pieces of about this many
 * characters (cut after a newline) is faster and keeps the heap small.
 */
const PIECE_CHARS = 4 * 1024;

function pushPieces(stream: Transform, text: string): void {
  let start = 0;
  while (start < text.length) {
    let end = text.length;
    if (end - start > PIECE_CHARS) {
      const cut = text.indexOf('\n', start + PIECE_CHARS);
      if (cut >= 0) end = cut + 1;
    }
    stream.push(start === 0 && end === text.length ? text : text.slice(start, end));
    start = end;
  }
}

function countNewlines(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) count++;
  }
  return count;
}

/**
 * Streams the rows of a delimited text file (TSV by default) through fast-csv in constant
 * memory. Bytes first pass a {@link LineDecoder} (gzip, BOM, UTF-8 validation, CRLF), so
 * every row still maps to its real file line: fast-csv emits exactly one row per physical
 * line when quoting is off, and a rejected line arrives as an empty row whose issue is
 * looked up by line number and reported through `sink` instead of being yielded.
 */
export async function* readDelimitedRows(
  file: string,
  sink: LineSink,
  options: DelimitedOptions = {},
): AsyncGenerator<DelimitedRow> {
  const quote = options.quote ?? null;
  const decoder = new LineDecoder(file, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const guard = new Transform({
    readableObjectMode: true, // hand strings to fast-csv as they are (no re-encoding)
    transform(chunk: Buffer, _encoding, callback) {
      try {
        pushPieces(this, decoder.write(chunk));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        pushPieces(this, decoder.end());
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const csv = parse({ delimiter: options.delimiter ?? '\t', quote, ignoreEmpty: false });
  const bytes = await openByteStream(file);
  // pipeline destroys every stage when one fails or when iteration stops early.
  pipeline(bytes, guard, csv, () => undefined);

  let nextLine = 1;
  try {
    for await (const row of csv) {
      const fields = row as string[];
      const line = nextLine;
      const span = quote === null ? 1 : 1 + countNewlines(fields);
      nextLine += span;
      sink.seen?.(line + span - 1);
      let rejected = false;
      for (let l = line; l < line + span; l++) {
        const issue = decoder.take(l);
        if (issue !== undefined) {
          rejected = true;
          sink.report(l, issue.code, issue.reason);
        }
      }
      if (rejected) continue;
      if (fields.length === 0 || (fields.length === 1 && fields[0]!.trim() === '')) {
        sink.blank(line);
        continue;
      }
      yield { line, fields };
    }
  } catch (error) {
    throw asDataError(file, error);
  } finally {
    csv.destroy();
  }
}
