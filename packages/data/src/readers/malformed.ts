/**
 * Stable codes for the ways a line can be malformed; they key `reader.stats.skipped` and are
 * passed to `onSkip`. The human-readable reason goes into the DataError message.
 */
export type SkipCode =
  | 'invalid-utf8'
  | 'bare-cr'
  | 'column-count'
  | 'empty-text'
  | 'unparsable-label'
  | 'label-out-of-range'
  | 'invalid-json'
  | 'missing-field'
  | 'length-mismatch'
  | 'unknown-id'
  | 'duplicate-id';

/**
 * Thrown by the field checks below while one line is parsed and caught by
 * `RecordReader.attempt`, which turns it into a DataError (onError 'raise') or a counted skip.
 * Not exported from the package: callers only ever see DataError.
 */
export class Malformed {
  constructor(
    readonly code: SkipCode,
    readonly reason: string,
  ) {}
}

/** JSON.stringify for short values in messages, cut to keep messages one line. */
export function show(value: unknown): string {
  const text = (value === undefined ? undefined : JSON.stringify(value)) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Checks the number of columns; `names` describes them for the message. */
export function expectColumns(fields: readonly string[], names: readonly string[], delimiterName = 'tab'): void {
  if (fields.length !== names.length) {
    throw new Malformed(
      'column-count',
      `expected ${names.length} ${delimiterName}-separated columns (${names.join(', ')}), got ${fields.length}`,
    );
  }
}

/** A text value must be a string with at least one non-whitespace character. It is kept verbatim. */
export function requireText(value: unknown, what: string): string {
  if (value === undefined || value === null) throw new Malformed('missing-field', `missing ${what}: expected a string`);
  if (typeof value !== 'string') throw new Malformed('missing-field', `${what} is ${show(value)}: expected a string`);
  if (value.trim() === '') throw new Malformed('empty-text', `empty text in ${what}`);
  return value;
}

/** A non-empty id (query id, passage id). Surrounding whitespace is removed. */
export function requireId(value: unknown, what: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new Malformed('missing-field', `missing ${what}: expected an id`);
  const id = value.trim();
  if (id === '') throw new Malformed('missing-field', `empty ${what}: expected an id`);
  return id;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** An integer class label in [0, numLabels). Accepts a decimal string or a JSON number. */
export function parseClassLabel(raw: unknown, numLabels: number, what = 'label'): number {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && INTEGER.test(raw.trim())) value = Number(raw.trim());
  else throw new Malformed('unparsable-label', `${what} ${show(raw)} is not an integer: expected 0..${numLabels - 1}`);
  if (!Number.isInteger(value)) {
    throw new Malformed('unparsable-label', `${what} ${show(raw)} is not an integer: expected 0..${numLabels - 1}`);
  }
  if (value < 0 || value >= numLabels) {
    throw new Malformed('label-out-of-range', `${what} ${show(raw)} is out of range: expected an integer in 0..${numLabels - 1}`);
  }
  return value;
}

/** A finite decimal number (string or JSON number); no hex, no 'NaN', no empty string. */
export function parseNumber(raw: unknown, what: string): number {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string' && DECIMAL.test(raw.trim())) {
    const value = Number(raw.trim());
    if (Number.isFinite(value)) return value;
  }
  throw new Malformed('unparsable-label', `${what} ${show(raw)} is not a number`);
}

/** A number within [min, max]. */
export function parseBoundedNumber(raw: unknown, min: number, max: number, what: string): number {
  const value = parseNumber(raw, what);
  if (value < min || value > max) {
    throw new Malformed('label-out-of-range', `${what} ${show(raw)} is out of range: expected a number in [${min}, ${max}]`);
  }
  return value;
}
