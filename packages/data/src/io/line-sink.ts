/**
 * How the low-level line/row readers hand problems back to the reader that owns the file:
 * `report` for a malformed physical line (it may throw, for onError 'raise'), `blank` for an
 * empty or whitespace-only line (not a record, counted by the caller).
 */
export interface LineSink {
  report(line: number, code: string, reason: string): void;
  blank(line: number): void;
  /** The last physical line number seen so far (for statistics). */
  seen?(line: number): void;
}
