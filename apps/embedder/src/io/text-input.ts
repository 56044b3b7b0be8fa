/**
 * Reads texts (or text pairs) from .txt, .tsv or .jsonl files as a stream of records. Every
 * malformed line is a DataError naming the file and line; nothing is skipped silently.
 *
 * - txt: one text per line (an empty line is an empty text); no header.
 * - tsv: a header row names the columns; fields are split on tabs (no quoting).
 * - jsonl: one JSON object per line; the named fields must be strings.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ConfigError, DataError } from '@sbert/core';
import { decodeLine, readLines } from './line-reader.js';

export const INPUT_FORMATS = ['txt', 'tsv', 'jsonl'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface TextRecord {
  /** 1-based line of the file the record came from. */
  line: number;
  /** One string per requested field, in order. */
  values: string[];
}

export interface InputSpec {
  file: string;
  /** Default: from the extension (.txt, .tsv, .jsonl / .ndjson). */
  format?: InputFormat;
  /** Field (tsv column / jsonl key) names; txt takes exactly one text per line. */
  fields: string[];
}

export function inputFormatOf(file: string, format?: InputFormat): InputFormat {
  if (format) return format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.txt' || ext === '.text') return 'txt';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new ConfigError(`${file}: cannot tell the input format from the extension '${ext}'; pass --input-format ${INPUT_FORMATS.join('|')}`, { file, field: 'input-format' });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** Streams the records of a text file. `onChunk` sees the raw bytes (for fingerprints). */
export async function* readRecords(spec: InputSpec, onChunk?: (chunk: Buffer) => void): AsyncGenerator<TextRecord> {
  const { file, fields } = spec;
  const format = inputFormatOf(file, spec.format);
  if (format === 'txt' && fields.length !== 1) {
    throw new ConfigError(`${file}: a .txt file holds one text per line; ${fields.length} fields need a .tsv or .jsonl file`, { file });
  }
  let columns: number[] | undefined;
  let width = 0;
  for await (const raw of readLines(file, onChunk ? { onChunk } : {})) {
    const text = decodeLine(file, raw);
    if (format === 'txt') {
      yield { line: raw.line, values: [text] };
    } else if (format === 'tsv') {
      const cells = text.split('\t');
      if (!columns) {
        width = cells.length;
        columns = fields.map((f) => {
          const i = cells.indexOf(f);
          if (i < 0) throw new ConfigError(`${file}: the header has no column '${f}'; columns: ${cells.join(', ')}`, { file, field: 'field' });
          return i;
        });
        continue;
      }
      if (cells.length !== width) throw new DataError(file, raw.line, `expected ${width} tab-separated fields as in the header, got ${cells.length}`);
      yield { line: raw.line, values: columns.map((i) => cells[i]!) };
    } else {
      if (text.trim() === '') throw new DataError(file, raw.line, 'empty line; expected a JSON object');
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (error) {
        throw new DataError(file, raw.line, `invalid JSON (${(error as Error).message})`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new DataError(file, raw.line, `expected a JSON object, got ${describe(obj)}`);
      const values = fields.map((f) => {
        if (!Object.prototype.hasOwnProperty.call(obj, f)) throw new DataError(file, raw.line, `missing field '${f}'`);
        const v = (obj as Record<string, unknown>)[f];
        if (typeof v !== 'string') throw new DataError(file, raw.line, `field '${f}' is ${describe(v)}; expected a string`);
        return v;
      });
      yield { line: raw.line, values };
    }
  }
}

export interface InputScan {
  /** Number of records. */
  count: number;
  /** sha256 of the file's bytes. */
  sha256: string;
  bytes: number;
}

/** Reads the whole file once: validates every record, counts them and hashes the bytes. */
export async function scanInput(spec: InputSpec): Promise<InputScan> {
  const hash = createHash('sha256');
  let bytes = 0;
  let count = 0;
  for await (const _ of readRecords(spec, (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
  })) count++;
  return { count, sha256: hash.digest('hex'), bytes };
}

/** All the texts of one field, in order (for inputs that have to be held in memory anyway). */
export async function readAllTexts(spec: InputSpec): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readRecords(spec)) out.push(r.values[0]!);
  return out;
}

/** Groups a record stream into arrays of `size` (the last one may be shorter). */
export async function* chunked<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
