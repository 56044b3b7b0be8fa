import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../commands/common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/embedder */
export const appDir = path.resolve(here, '../..');
export const repoRoot = path.resolve(appDir, '../..');
export const modelsDir = path.join(repoRoot, 'tools/parity/fixtures/core/models');
/** A tiny real sentence-transformers model (BERT 2 layers, hidden 32, mean pooling). */
export const tinyModel = path.join(modelsDir, 'tiny-mean');
/** Tiny model with CLS pooling and a Normalize module. */
export const tinyNormModel = path.join(modelsDir, 'tiny-cls-normalize');
export const distBin = path.join(appDir, 'dist/bin.js');
export const miniLmDir = path.join(repoRoot, '.cache/models/all-MiniLM-L6-v2');
export const hasMiniLm = existsSync(path.join(miniLmDir, 'model.safetensors'));

export function tempDir(prefix = 'sbert-embedder-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A command context that keeps what is written. */
export function captureContext(): CommandContext & { out: () => string; err: () => string } {
  const sink = (): Writable & { text: string } => {
    const w = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        w.text += chunk.toString();
        cb();
      },
    }) as Writable & { text: string };
    w.text = '';
    return w;
  };
  const stdout = sink();
  const stderr = sink();
  return { stdout, stderr, out: () => stdout.text, err: () => stderr.text };
}

const WORDS = 'the a cat dog sat on mat ran fast slow red blue house car tree river man woman eats food plays music guitar street'.split(' ');

/** Deterministic pseudo-random sentences of 1..maxWords words. */
export function sentences(n: number, seed = 1, maxWords = 14): string[] {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return Array.from({ length: n }, () => Array.from({ length: 1 + (next() % maxWords) }, () => WORDS[next() % WORDS.length]).join(' '));
}

/** Max |a − b| over two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
