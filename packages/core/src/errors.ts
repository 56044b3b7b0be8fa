/**
 * One error base class with a stable `code`, and a few precise subclasses. Messages say what
 * was expected and, where it helps, list the valid values. Only CLI entry points turn these
 * into exit codes.
 */
export class SbertError extends Error {
  /** Stable machine-readable code, e.g. `E_CONFIG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value or file is missing, malformed or out of range. */
export class ConfigError extends SbertError {
  /** The file (or option) the problem was found in, when known. */
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(message: string, where: { file?: string; field?: string } = {}, options?: { cause?: unknown }) {
    super('E_CONFIG', message, options);
    this.file = where.file;
    this.field = where.field;
  }
}

/** A tensor whose shape was not what a checkpoint's config promised. */
export interface ShapeMismatch {
  name: string;
  expected: readonly number[];
  actual: readonly number[];
}

/**
 * A weights file does not fit the model: lists every missing, unexpected and mis-shaped
 * tensor at once, or reports a corrupt / unsupported file.
 */
export class CheckpointError extends SbertError {
  readonly file: string;
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly mismatched: readonly ShapeMismatch[];

  constructor(
    message: string,
    file: string,
    details: { missing?: string[]; unexpected?: string[]; mismatched?: ShapeMismatch[] } = {},
    options?: { cause?: unknown },
  ) {
    super('E_CHECKPOINT', message, options);
    this.file = file;
    this.missing = details.missing ?? [];
    this.unexpected = details.unexpected ?? [];
    this.mismatched = details.mismatched ?? [];
  }
}

/** A record in a data file is malformed. `line` is 1-based. */
export class DataError extends SbertError {
  readonly file: string;
  readonly line: number | undefined;
  readonly reason: string;

  constructor(file: string, line: number | undefined, reason: string, options?: { cause?: unknown }) {
    super('E_DATA', `${line === undefined ? file : `${file}:${line}`}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** An argument passed to a public function is of the wrong type, shape or range. */
export class InputError extends SbertError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INPUT', message, options);
  }
}

/** A typed error as plain data, to cross a worker_threads boundary (class, code, file, line). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  file?: string;
  line?: number;
  reason?: string;
}

/** A thrown value as a SerializedError (a worker posts this instead of the error object). */
export function serializeError(error: unknown): SerializedError {
  const e = error as Partial<SerializedError> & Error;
  const out: SerializedError = { name: e?.name ?? 'Error', message: e?.message ?? String(error) };
  if (typeof e?.code === 'string') out.code = e.code;
  if (typeof e?.file === 'string') out.file = e.file;
  if (typeof e?.line === 'number') out.line = e.line;
  if (typeof e?.reason === 'string') out.reason = e.reason;
  return out;
}

/** Rebuilds the typed error a worker threw (same class, code and message). */
export function deserializeError(s: SerializedError): Error {
  if (s.code === 'E_DATA' && s.file !== undefined && s.reason !== undefined) return new DataError(s.file, s.line, s.reason);
  if (s.code === 'E_CONFIG') return new ConfigError(s.message, s.file === undefined ? {} : { file: s.file });
  if (s.code === 'E_INPUT') return new InputError(s.message);
  if (s.code !== undefined) return new SbertError(s.code, s.message);
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
