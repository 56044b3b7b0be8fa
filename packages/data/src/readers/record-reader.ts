import { DataError, InputError } from '@sbert/core';
import { readDelimitedRows, type DelimitedOptions, type DelimitedRow } from '../io/read-delimited-rows.js';
import { readTextLines, type TextLine } from '../io/read-text-lines.js';
import type { LineSink } from '../io/line-sink.js';
import { Malformed, show, type SkipCode } from './malformed.js';

/** What a reader does with a malformed line: throw a DataError, or skip it and count it. */
export type OnError = 'raise' | 'skip';

/** A malformed line that was skipped (onError 'skip'). */
export interface SkippedLine {
  file: string;
  /** 1-based file line (header lines count). */
  line: number;
  code: SkipCode;
  reason: string;
  /** `file:line: reason`, the message a DataError would carry. */
  message: string;
}

/** Options shared by every reader. */
export interface ReaderOptions {
  /** 'raise' (default) throws `DataError(file, line, reason)` at the first malformed line. */
  onError?: OnError;
  /** Called for every skipped line (onError 'skip'). */
  onSkip?: (skipped: SkippedLine) => void;
  /**
   * Receives a one-line summary after a complete pass that skipped lines. Default:
   * `process.emitWarning(message, 'SbertDataWarning')`, so skips are never silent.
   */
  warn?: (message: string) => void;
  /** Longest accepted line in bytes (default 16 MiB). */
  maxLineBytes?: number;
}

/** Counters of one pass over a file, available on `reader.stats` during and after it. */
export interface ReaderStats {
  /** Physical lines read so far (header included). */
  lines: number;
  /** Records yielded. */
  records: number;
  /** Empty or whitespace-only lines (not records, not errors). */
  blank: number;
  /** Malformed lines skipped, per reason code (onError 'skip'). */
  skipped: Partial<Record<SkipCode, number>>;
  /** Well-formed lines left out on purpose, per cause, e.g. `label:-` (OCNLI) or `split:train`. */
  excluded: Record<string, number>;
}

function emptyStats(): ReaderStats {
  return { lines: 0, records: 0, blank: 0, skipped: {}, excluded: {} };
}

function defaultWarn(message: string): void {
  process.emitWarning(message, 'SbertDataWarning');
}

/**
 * Base class of all readers: an async iterable of records streamed from one file in constant
 * memory (`for await (const ex of reader)`), re-reading the file on every pass.
 *
 * Malformed lines are never silent: with `onError: 'raise'` (default) the first one throws
 * `DataError` with message `file:line: reason`; with `'skip'` each is counted per reason in
 * `stats.skipped`, passed to `onSkip`, and a summary is sent to `warn` at the end of the pass.
 * `stats` is reset at the start of each pass; run one pass at a time per reader.
 */
export abstract class RecordReader<T> implements AsyncIterable<T> {
  readonly file: string;
  readonly onError: OnError;
  protected readonly options: ReaderOptions;
  private current: ReaderStats = emptyStats();
  private firstSkip: string | undefined;

  /** The sink low-level line readers report to. */
  protected readonly sink: LineSink = {
    report: (line, code, reason) => this.malformed(line, code as SkipCode, reason),
    blank: () => {
      this.current.blank++;
    },
    seen: (line) => {
      this.current.lines = line;
    },
  };

  constructor(file: string, options: ReaderOptions = {}) {
    if (typeof file !== 'string' || file === '') throw new InputError('file must be a non-empty path');
    const onError = options.onError ?? 'raise';
    if (onError !== 'raise' && onError !== 'skip') {
      throw new InputError(`onError must be 'raise' or 'skip', got ${show(onError)}`);
    }
    this.file = file;
    this.onError = onError;
    this.options = options;
  }

  /** Counters of the current (or last) pass. */
  get stats(): ReaderStats {
    const s = this.current;
    return { ...s, skipped: { ...s.skipped }, excluded: { ...s.excluded } };
  }

  /** Total malformed lines skipped in the current (or last) pass. */
  get skippedTotal(): number {
    return Object.values(this.current.skipped).reduce((sum, n) => sum + (n ?? 0), 0);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    this.current = emptyStats();
    this.firstSkip = undefined;
    for await (const record of this.read()) {
      this.current.records++;
      yield record;
    }
    this.summarize();
  }

  /** Reads the whole file into an array (one pass). */
  toArray(): Promise<T[]> {
    return collect(this);
  }

  /** Yields the file's records; implemented by each reader. */
  protected abstract read(): AsyncGenerator<T>;

  /** Handles one malformed line: throws (raise) or counts and notifies (skip). */
  protected malformed(line: number, code: SkipCode, reason: string): void {
    if (this.onError === 'raise') throw new DataError(this.file, line, reason);
    this.current.skipped[code] = (this.current.skipped[code] ?? 0) + 1;
    const message = `${this.file}:${line}: ${reason}`;
    this.firstSkip ??= message;
    this.options.onSkip?.({ file: this.file, line, code, reason, message });
  }

  /** Takes the line counters of an inner reader that read this reader's file. */
  protected adoptLineCounts(inner: ReaderStats): void {
    this.current.lines = inner.lines;
    this.current.blank = inner.blank;
  }

  /** Counts a well-formed line that is left out on purpose (never an error). */
  protected exclude(cause: string): void {
    this.current.excluded[cause] = (this.current.excluded[cause] ?? 0) + 1;
  }

  /**
   * Runs the parsing of one line; a `Malformed` thrown by the field checks becomes a
   * DataError or a counted skip, and `undefined` is returned.
   */
  protected attempt<R>(line: number, parse: () => R): R | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof Malformed)) throw error;
      this.malformed(line, error.code, error.reason);
      return undefined;
    }
  }

  /** Rows of a delimited file (TSV by default, no quoting), see readDelimitedRows. */
  protected rows(options: Omit<DelimitedOptions, 'maxLineBytes'> = {}): AsyncGenerator<DelimitedRow> {
    return readDelimitedRows(this.file, this.sink, { ...options, maxLineBytes: this.options.maxLineBytes });
  }

  /** Non-blank text lines. */
  protected lines(): AsyncGenerator<TextLine> {
    return readTextLines(this.file, this.sink, this.options.maxLineBytes);
  }

  /** JSON Lines: each non-blank line must hold one JSON object. */
  protected async *jsonObjects(): AsyncGenerator<{ line: number; value: Record<string, unknown> }> {
    for await (const { line, text } of this.lines()) {
      const value = this.attempt(line, () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          throw new Malformed('invalid-json', `invalid JSON (${(error as Error).message})`);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new Malformed('invalid-json', `expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : show(parsed)}`);
        }
        return parsed as Record<string, unknown>;
      });
      if (value !== undefined) yield { line, value };
    }
  }

  private summarize(): void {
    const total = this.skippedTotal;
    if (total === 0) return;
    const perCode = Object.entries(this.current.skipped)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const message = `${this.file}: skipped ${total} malformed line${total === 1 ? '' : 's'} (${perCode}); first: ${this.firstSkip}`;
    (this.options.warn ?? defaultWarn)(message);
  }
}

/** Collects any async iterable (e.g. a reader) into an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
