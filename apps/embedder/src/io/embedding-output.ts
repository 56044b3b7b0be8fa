/**
 * A resumable, atomically completed embeddings file.
 *
 * While a run is going, rows are appended to `<out>.partial` and, after each chunk is on disk
 * (fdatasync), `<out>.progress.json` records how many rows and bytes are complete, together with
 * a fingerprint of the input and of every option that changes the bytes. A rerun with the same
 * fingerprint cuts the partial file back to the recorded size (a crash may have left half a
 * chunk) and continues from there; anything else starts over. On completion the partial file is
 * renamed onto `<out>`, so `<out>` only ever holds a complete result.
 *
 * The row count is known up front (the input is scanned first), so the NPY and raw headers are
 * final from the start.
 */
import { existsSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, writeFileAtomic } from '@sbert/core';
import { npyHeader } from './npy.js';
import { rawHeader } from './raw-f32.js';

export const OUTPUT_FORMATS = ['npy', 'jsonl', 'raw'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputFormatOf(file: string, format?: OutputFormat): OutputFormat {
  if (format) return format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.f32' || ext === '.bin' || ext === '.raw') return 'raw';
  throw new ConfigError(`${file}: cannot tell the output format from the extension '${ext}'; pass --format ${OUTPUT_FORMATS.join('|')}`, { file, field: 'format' });
}

export interface OutputPlan {
  file: string;
  format: OutputFormat;
  rows: number;
  dim: number;
  /** Identifies the input and every option that changes the output bytes. */
  fingerprint: string;
  /** Extra keys for the raw format's JSON header. */
  meta?: Record<string, unknown>;
}

interface Progress {
  version: 1;
  fingerprint: string;
  format: OutputFormat;
  rows_total: number;
  dim: number;
  rows_done: number;
  bytes_done: number;
}

export function sidecarPaths(file: string): { partial: string; progress: string } {
  return { partial: `${file}.partial`, progress: `${file}.progress.json` };
}

async function readProgress(file: string): Promise<Progress | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Progress;
  } catch {
    return undefined;
  }
}

export class EmbeddingOutput {
  private readonly plan: OutputPlan;
  private fd: FileHandle | undefined;
  private rowsWritten: number;
  private bytesWritten: number;
  /** Rows already complete when the output was opened (0 for a fresh run). */
  readonly startRow: number;
  /** Why an existing partial run was not resumed (for the log), if there was one. */
  readonly discarded: string | undefined;

  private constructor(plan: OutputPlan, fd: FileHandle, rows: number, bytes: number, discarded: string | undefined) {
    this.plan = plan;
    this.fd = fd;
    this.rowsWritten = rows;
    this.bytesWritten = bytes;
    this.startRow = rows;
    this.discarded = discarded;
  }

  get rowsDone(): number {
    return this.rowsWritten;
  }

  static async open(plan: OutputPlan, options: { restart?: boolean } = {}): Promise<EmbeddingOutput> {
    if (os.endianness() !== 'LE') throw new ConfigError('writing float32 embeddings needs a little-endian machine');
    const { partial, progress } = sidecarPaths(plan.file);
    await fs.mkdir(path.dirname(path.resolve(plan.file)), { recursive: true });
    let discarded: string | undefined;
    const saved = options.restart ? undefined : await readProgress(progress);
    if (saved && existsSync(partial)) {
      const size = (await fs.stat(partial)).size;
      const reason =
        saved.version !== 1 ? 'unknown progress version'
        : saved.fingerprint !== plan.fingerprint ? 'the input or the options changed'
        : saved.format !== plan.format || saved.rows_total !== plan.rows || saved.dim !== plan.dim ? 'the output shape changed'
        : size < saved.bytes_done ? 'the partial file is shorter than its progress record'
        : undefined;
      if (reason === undefined) {
        const fd = await fs.open(partial, 'r+');
        await fd.truncate(saved.bytes_done);
        return new EmbeddingOutput(plan, fd, saved.rows_done, saved.bytes_done, undefined);
      }
      discarded = reason;
    } else if (options.restart && existsSync(partial)) {
      discarded = '--restart was given';
    }
    const fd = await fs.open(partial, 'w');
    const header = plan.format === 'npy' ? npyHeader(plan.rows, plan.dim) : plan.format === 'raw' ? rawHeader(plan.rows, plan.dim, plan.meta) : Buffer.alloc(0);
    await fd.write(header, 0, header.length, 0);
    const out = new EmbeddingOutput(plan, fd, 0, header.length, discarded);
    await out.saveProgress();
    return out;
  }

  private async saveProgress(): Promise<void> {
    const p: Progress = {
      version: 1,
      fingerprint: this.plan.fingerprint,
      format: this.plan.format,
      rows_total: this.plan.rows,
      dim: this.plan.dim,
      rows_done: this.rowsWritten,
      bytes_done: this.bytesWritten,
    };
    await writeFileAtomic(sidecarPaths(this.plan.file).progress, `${JSON.stringify(p)}\n`);
  }

  private encodeRows(flat: Float32Array, rows: number): Buffer {
    const { dim, format } = this.plan;
    if (flat.length !== rows * dim) throw new Error(`internal: ${flat.length} values for ${rows} rows of ${dim}`);
    if (format !== 'jsonl') return Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength);
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      // Every float32 value prints as the shortest double that reads back to it exactly.
      lines.push(`{"index":${this.rowsWritten + r},"embedding":${JSON.stringify(Array.from(flat.subarray(r * dim, (r + 1) * dim)))}}\n`);
    }
    return Buffer.from(lines.join(''), 'utf8');
  }

  /** Appends complete rows and records them as done once they are on disk. */
  async append(flat: Float32Array, rows: number): Promise<void> {
    if (!this.fd) throw new Error('internal: output is closed');
    if (this.rowsWritten + rows > this.plan.rows) throw new Error(`internal: ${this.rowsWritten + rows} rows for an output of ${this.plan.rows}`);
    const bytes = this.encodeRows(flat, rows);
    await this.fd.write(bytes, 0, bytes.length, this.bytesWritten);
    await this.fd.datasync();
    this.rowsWritten += rows;
    this.bytesWritten += bytes.length;
    await this.saveProgress();
  }

  /** Renames the complete partial file onto the output and removes the progress record. */
  async commit(): Promise<void> {
    if (this.rowsWritten !== this.plan.rows) throw new Error(`internal: commit after ${this.rowsWritten} of ${this.plan.rows} rows`);
    const { partial, progress } = sidecarPaths(this.plan.file);
    await this.fd!.sync();
    await this.fd!.close();
    this.fd = undefined;
    await fs.rename(partial, this.plan.file);
    await fs.rm(progress, { force: true });
  }

  /** Releases the file without completing it; the sidecars stay for a later resume. */
  async close(): Promise<void> {
    if (this.fd) await this.fd.close();
    this.fd = undefined;
  }
}
