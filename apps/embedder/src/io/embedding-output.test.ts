import { existsSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/helpers.js';
import { EmbeddingOutput, outputFormatOf, sidecarPaths, type OutputPlan } from './embedding-output.js';
import { npyHeader, parseNpy } from './npy.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const rows = (from: number, n: number, d: number): Float32Array => Float32Array.from({ length: n * d }, (_, i) => from * d + i + 0.5);

describe('EmbeddingOutput', () => {
  it('appears only on commit; sidecars record progress and go away', async () => {
    const file = path.join(tmp.dir, 'a.npy');
    const plan: OutputPlan = { file, format: 'npy', rows: 5, dim: 2, fingerprint: 'f1' };
    const out = await EmbeddingOutput.open(plan);
    expect(out.startRow).toBe(0);
    await out.append(rows(0, 3, 2), 3);
    const { partial, progress } = sidecarPaths(file);
    expect(existsSync(file)).toBe(false);
    expect(JSON.parse(readFileSync(progress, 'utf8'))).toMatchObject({ rows_done: 3, bytes_done: 128 + 3 * 2 * 4, rows_total: 5, dim: 2 });
    await out.append(rows(3, 2, 2), 2);
    await out.commit();
    expect(existsSync(partial) || existsSync(progress)).toBe(false);
    const m = parseNpy(readFileSync(file));
    expect(Array.from(m.data)).toEqual(Array.from(rows(0, 5, 2)));
  });

  it('resumes after the last recorded chunk, cutting off a torn write', async () => {
    const file = path.join(tmp.dir, 'b.jsonl');
    const plan: OutputPlan = { file, format: 'jsonl', rows: 4, dim: 2, fingerprint: 'f2' };
    const first = await EmbeddingOutput.open(plan);
    await first.append(rows(0, 2, 2), 2);
    await first.close();
    // A crash in the middle of the next chunk leaves bytes the progress record does not cover.
    appendFileSync(sidecarPaths(file).partial, '{"index":2,"embe');
    const second = await EmbeddingOutput.open(plan);
    expect(second.startRow).toBe(2);
    expect(second.discarded).toBeUndefined();
    await second.append(rows(2, 2, 2), 2);
    await second.commit();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([0, 1, 2, 3].map((i) => ({ index: i, embedding: [i * 2 + 0.5, i * 2 + 1.5] })));
  });

  it('starts over when the fingerprint changed, the partial file is short, or --restart is given', async () => {
    const file = path.join(tmp.dir, 'c.f32');
    const plan: OutputPlan = { file, format: 'raw', rows: 4, dim: 2, fingerprint: 'f3' };
    const a = await EmbeddingOutput.open(plan);
    await a.append(rows(0, 2, 2), 2);
    await a.close();
    const changed = await EmbeddingOutput.open({ ...plan, fingerprint: 'other' });
    expect([changed.startRow, changed.discarded]).toEqual([0, 'the input or the options changed']);
    await changed.append(rows(0, 2, 2), 2);
    await changed.close();
    const size = statSync(sidecarPaths(file).partial).size;
    writeFileSync(sidecarPaths(file).partial, readFileSync(sidecarPaths(file).partial).subarray(0, size - 1));
    const short = await EmbeddingOutput.open({ ...plan, fingerprint: 'other' });
    expect([short.startRow, short.discarded]).toEqual([0, 'the partial file is shorter than its progress record']);
    await short.append(rows(0, 1, 2), 1);
    await short.close();
    const restarted = await EmbeddingOutput.open({ ...plan, fingerprint: 'other' }, { restart: true });
    expect([restarted.startRow, restarted.discarded]).toEqual([0, '--restart was given']);
    await restarted.close();
  });

  it('writes an empty (0, D) array for no rows', async () => {
    const file = path.join(tmp.dir, 'e.npy');
    const out = await EmbeddingOutput.open({ file, format: 'npy', rows: 0, dim: 3, fingerprint: 'e' });
    await out.commit();
    expect(readFileSync(file).equals(npyHeader(0, 3))).toBe(true);
  });

  it('tells formats from extensions', () => {
    expect(outputFormatOf('x.npy')).toBe('npy');
    expect(outputFormatOf('x.jsonl')).toBe('jsonl');
    expect(outputFormatOf('x.bin')).toBe('raw');
    expect(() => outputFormatOf('x.csv')).toThrow("x.csv: cannot tell the output format from the extension '.csv'; pass --format npy|jsonl|raw");
  });
});
