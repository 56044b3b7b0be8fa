import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The shared real data (/work/shared/data; the repo is always cloned next to `shared/`). */
export const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'shared', 'data');

export const data = (relative: string): string => path.join(DATA, relative);

/** A temporary directory for crafted files; call `cleanup()` in afterAll. */
export function tempDir(): { dir: string; write(name: string, content: string | Buffer, gzip?: boolean): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sbert-data-test-'));
  return {
    dir,
    write(name, content, gzip = false) {
      const file = path.join(dir, name);
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Concatenates strings and raw bytes into one Buffer (to craft invalid UTF-8). */
export function bytes(...parts: Array<string | number[]>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}
