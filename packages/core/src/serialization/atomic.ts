/**
 * Atomic writes: a reader sees the old content or the new, never a half-written file or
 * directory, and a crash during a save leaves what was there before intact.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

function sibling(target: string, tag: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file through a temporary sibling, fsync and rename. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = sibling(file, 'tmp');
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Builds a directory through `fill(tmpDir)` and then swaps it into `dir`. An existing `dir` is
 * moved aside first and deleted only after the new one is in place, so a crash at any point
 * leaves either the old directory or the new one (plus, at worst, a hidden leftover sibling).
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = sibling(target, 'tmp');
  await fs.mkdir(tmp);
  try {
    await fill(tmp);
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
  let old: string | undefined;
  try {
    await fs.access(target);
    old = sibling(target, 'old');
    await fs.rename(target, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await fs.rename(tmp, target);
  } catch (error) {
    if (old) await fs.rename(old, target);
    throw error;
  }
  if (old) await fs.rm(old, { recursive: true, force: true });
}
