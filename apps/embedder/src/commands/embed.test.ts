import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, SentenceTransformer } from '@sbert/core';
import { main } from '../cli.js';
import { sidecarPaths } from '../io/embedding-output.js';
import { npyHeader, readNpy } from '../io/npy.js';
import { readRaw } from '../io/raw-f32.js';
import { captureContext, distBin, maxAbsDiff, sentences, tempDir, tinyModel } from '../test-utils/helpers.js';
import { embedCommand } from './embed.js';

const tmp = tempDir();
const at = (name: string): string => path.join(tmp.dir, name);
const TEXTS = sentences(700, 7);
let model: SentenceTransformer;

beforeAll(async () => {
  writeFileSync(at('in.txt'), `${TEXTS.join('\n')}\n`);
  writeFileSync(at('in.jsonl'), TEXTS.map((t, i) => JSON.stringify({ id: i, body: t })).join('\n'));
  writeFileSync(at('in.tsv'), `id\tbody\n${TEXTS.map((t, i) => `${i}\t${t}`).join('\n')}\n`);
  model = await SentenceTransformer.load(tinyModel, { backend: 'wasm' });
});
afterAll(() => {
  model.dispose();
  tmp.cleanup();
});

const base = ['--model', tinyModel, '--backend', 'wasm', '--quiet'];
async function embed(args: string[], hooks = {}): Promise<void> {
  expect(await embedCommand([...base, ...args], captureContext(), hooks)).toBe(0);
}

describe('embed', () => {
  it('writes an .npy whose rows are the model embeddings of each chunk, in input order', async () => {
    await embed(['-i', at('in.txt'), '-o', at('a.npy'), '--chunk-size', '256', '--workers', '1']);
    const m = await readNpy(at('a.npy'));
    expect([m.rows, m.cols]).toEqual([700, 32]);
    // Chunk by chunk, the file holds exactly what encode gives for that chunk.
    for (let start = 0; start < 700; start += 256) {
      const expected = await model.encode(TEXTS.slice(start, start + 256), { batchSize: 32 });
      expected.forEach((row, i) => expect(Array.from(m.data.subarray((start + i) * 32, (start + i + 1) * 32))).toEqual(Array.from(row)));
    }
    // And each row is that text's embedding alone up to padding noise.
    for (const i of [0, 255, 256, 699]) expect(maxAbsDiff(m.data.subarray(i * 32, (i + 1) * 32), await model.encode(TEXTS[i]!))).toBeLessThan(1e-5);
    // The header is the numpy one for (700, 32).
    expect(readFileSync(at('a.npy')).subarray(0, 128).equals(npyHeader(700, 32))).toBe(true);
    expect(existsSync(sidecarPaths(at('a.npy')).partial)).toBe(false);
  });

  it('gives the same rows from .txt, .tsv and .jsonl inputs and in .jsonl and raw outputs', async () => {
    const ref = await readNpy(at('a.npy'));
    await embed(['-i', at('in.jsonl'), '--field', 'body', '-o', at('b.jsonl'), '--chunk-size', '256', '--workers', '1']);
    await embed(['-i', at('in.tsv'), '--field', 'body', '-o', at('c.f32'), '--chunk-size', '256', '--workers', '1']);
    const lines = readFileSync(at('b.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; embedding: number[] });
    expect(lines.map((l) => l.index)).toEqual(TEXTS.map((_, i) => i));
    expect(Float32Array.from(lines.flatMap((l) => l.embedding))).toEqual(ref.data);
    const raw = await readRaw(at('c.f32'));
    expect(raw.header.shape).toEqual([700, 32]);
    expect(raw.data).toEqual(ref.data);
  });

  it('pool of worker threads: byte-identical to the single-thread output', async () => {
    await embed(['-i', at('in.txt'), '-o', at('single.npy'), '--chunk-size', '64', '--workers', '1']);
    await embed(['-i', at('in.txt'), '-o', at('pool.npy'), '--chunk-size', '64', '--workers', '2']);
    expect(readFileSync(at('pool.npy')).equals(readFileSync(at('single.npy')))).toBe(true);
  });

  it('resumes an interrupted run without recomputing written chunks, byte for byte', async () => {
    const common = ['-i', at('in.txt'), '--chunk-size', '100'];
    await embed([...common, '-o', at('full.npy'), '--workers', '1']);
    // Single thread and worker pool (several chunks in flight when the run stops).
    for (const [name, workers] of [['r.npy', '1'], ['rp.npy', '2']] as const) {
      const args = [...common, '-o', at(name), '--workers', workers];
      const interrupt = new Error('interrupted');
      await expect(embed(args, { afterChunk: (done: number) => { if (done >= 300) throw interrupt; } })).rejects.toBe(interrupt);
      expect(existsSync(at(name))).toBe(false);
      expect(JSON.parse(readFileSync(sidecarPaths(at(name)).progress, 'utf8')).rows_done).toBe(300);
      const encoded: number[] = [];
      await embed(args, { afterChunk: (done: number) => void encoded.push(done) });
      // Only the remaining chunks were encoded.
      expect(encoded).toEqual([400, 500, 600, 700]);
      expect(readFileSync(at(name)).equals(readFileSync(at('full.npy')))).toBe(true);
    }
  });

  it('resumes after the process is killed (SIGKILL) mid-run', async () => {
    const big = sentences(3000, 3);
    writeFileSync(at('big.txt'), big.join('\n'));
    const args = ['embed', ...base, '-i', at('big.txt'), '-o', at('k.npy'), '--chunk-size', '200', '--workers', '1'];
    const child = spawn(process.execPath, [distBin, ...args], { stdio: 'ignore' });
    const progress = sidecarPaths(at('k.npy')).progress;
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        try {
          if (JSON.parse(readFileSync(progress, 'utf8')).rows_done >= 400) {
            clearInterval(poll);
            child.kill('SIGKILL');
            resolve();
          }
        } catch {
          // not written yet
        }
      }, 20);
      child.once('exit', () => {
        clearInterval(poll);
        reject(new Error('the run finished before it could be killed'));
      });
    });
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(at('k.npy'))).toBe(false);
    const ctx = captureContext();
    // The same command again (with its log, to see where it resumed).
    expect(await main(args.filter((a) => a !== '--quiet'), ctx)).toBe(0);
    expect(ctx.err()).toMatch(/embed: resuming at row [1-9]\d* of 3000/);
    await embed(['-i', at('big.txt'), '-o', at('k-full.npy'), '--chunk-size', '200', '--workers', '1']);
    expect(readFileSync(at('k.npy')).equals(readFileSync(at('k-full.npy')))).toBe(true);
  });

  it('truncates and normalises; an empty input gives a (0, D) array', async () => {
    await embed(['-i', at('in.txt'), '-o', at('t.npy'), '--truncate-dim', '8', '--normalize', '--workers', '1']);
    const m = await readNpy(at('t.npy'));
    expect([m.rows, m.cols]).toEqual([700, 8]);
    for (let i = 0; i < 700; i += 97) {
      const r = m.data.subarray(i * 8, (i + 1) * 8);
      expect(Math.hypot(...r)).toBeCloseTo(1, 5);
    }
    writeFileSync(at('empty.txt'), '');
    await embed(['-i', at('empty.txt'), '-o', at('empty.npy')]);
    expect(readFileSync(at('empty.npy')).equals(npyHeader(0, 32))).toBe(true);
  });

  it('stops at a bad line with file:line and leaves no output', async () => {
    writeFileSync(at('bad.jsonl'), '{"text": "fine"}\n{"text": "also fine"}\n{"txt": "typo"}\n');
    const err = await embed(['-i', at('bad.jsonl'), '-o', at('bad.npy')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`${at('bad.jsonl')}:3: missing field 'text'`);
    expect(existsSync(at('bad.npy')) || existsSync(sidecarPaths(at('bad.npy')).partial)).toBe(false);
  });
});
