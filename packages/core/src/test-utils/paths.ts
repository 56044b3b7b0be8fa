import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (packages/core/src/test-utils → ../../../..). */
export const repoRoot = path.resolve(here, '../../../..');
export const fixturesDir = path.join(repoRoot, 'tools/parity/fixtures/core');
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data');
/** The real all-MiniLM-L6-v2, fetched by tools/fetch-models.sh. */
export const miniLmDir = path.join(repoRoot, '.cache/models/all-MiniLM-L6-v2');
export const hasMiniLm = existsSync(path.join(miniLmDir, 'model.safetensors'));

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
