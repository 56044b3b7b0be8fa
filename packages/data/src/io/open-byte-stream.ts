import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError, SbertError } from '@sbert/core';

/** gzip files start with these two bytes (RFC 1952, ID1 ID2). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Bytes read from disk per chunk: large enough that per-chunk overhead is negligible. */
const CHUNK_BYTES = 256 * 1024;

/** True when `file` ends in `.gz` or begins with the gzip magic bytes. */
export async function isGzipFile(file: string): Promise<boolean> {
  if (file.toLowerCase().endsWith('.gz')) return true;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new DataError(file, undefined, `cannot open file (${(error as Error).message})`, { cause: error });
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/**
 * Opens `file` as a stream of raw bytes, decompressing gzip (detected by extension or magic
 * bytes) on the fly. Memory use is bounded by the stream buffers, whatever the file size.
 * Errors of any stage (missing file, corrupt gzip) surface on the returned stream.
 */
export async function openByteStream(file: string): Promise<Readable> {
  const gzip = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  if (!gzip) return raw;
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  // pipeline forwards an error of either stage to the other, so the consumer of `gunzip`
  // sees a read error of the file too; the callback only keeps it from being unhandled.
  pipeline(raw, gunzip, () => undefined);
  return gunzip;
}

/**
 * Turns a low-level stream error (ENOENT, a corrupt gzip member...) into a DataError naming
 * the file; SbertErrors raised by our own stages pass through unchanged.
 */
export function asDataError(file: string, error: unknown): Error {
  if (error instanceof SbertError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DataError(file, undefined, `cannot read file (${message})`, { cause: error });
}
