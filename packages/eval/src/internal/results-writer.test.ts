import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendCsvRow, appendJsonLine } from './results-writer.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('results writer', () => {
  it('creates the directory, writes the header once, then appends rows; quotes like csv.QUOTE_MINIMAL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-eval-'));
    const out = join(dir, 'nested', 'out');
    await appendCsvRow(out, 'r.csv', ['epoch', 'a,b'], ['0', '1.0'], '\r\n');
    await appendCsvRow(out, 'r.csv', ['epoch', 'ignored'], ['1', 'say "hi"'], '\r\n');
    expect(await readFile(join(out, 'r.csv'), 'utf8')).toBe('epoch,"a,b"\r\n0,1.0\r\n1,"say ""hi"""\r\n');
  });

  it('never duplicates the header when rows are appended concurrently', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-eval-'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendCsvRow(dir as string, 'c.csv', ['h'], [String(i)], '\n')));
    const lines = (await readFile(join(dir, 'c.csv'), 'utf8')).trimEnd().split('\n');
    expect(lines.filter((l) => l === 'h')).toHaveLength(1);
    expect(lines).toHaveLength(21);
  });

  it('appends JSON lines', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbert-eval-'));
    await appendJsonLine(dir, 'r.jsonl', { a: 1, b: Number.NaN });
    await appendJsonLine(dir, 'r.jsonl', { a: 2 });
    expect(await readFile(join(dir, 'r.jsonl'), 'utf8')).toBe('{"a":1,"b":null}\n{"a":2}\n');
  });
});
