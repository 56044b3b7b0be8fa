import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '@sbert/core';
import { tempDir } from '../test-utils/helpers.js';
import { firstInvalidUtf8, readLines } from './line-reader.js';
import { chunked, inputFormatOf, readAllTexts, readRecords, scanInput, type InputSpec } from './text-input.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp.dir, name);
  writeFileSync(p, content);
  return p;
}

async function records(spec: InputSpec): Promise<{ line: number; values: string[] }[]> {
  const out = [];
  for await (const r of readRecords(spec)) out.push(r);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('readLines / readRecords', () => {
  it('reads txt lines: CRLF, a BOM, empty lines kept, no extra line after the final newline', async () => {
    const f = file('a.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('first\r\n\nthird line\nünïcödé 漢字\n')]));
    expect(await records({ file: f, fields: ['text'] })).toEqual([
      { line: 1, values: ['first'] },
      { line: 2, values: [''] },
      { line: 3, values: ['third line'] },
      { line: 4, values: ['ünïcödé 漢字'] },
    ]);
    // Without a final newline the last line still counts.
    expect(await readAllTexts({ file: file('b.txt', 'x\ny'), fields: ['text'] })).toEqual(['x', 'y']);
    expect(await readAllTexts({ file: file('empty.txt', ''), fields: ['text'] })).toEqual([]);
  });

  it('joins lines that cross the 1 MiB read chunks', async () => {
    const long = 'x'.repeat(1_500_000);
    const f = file('long.txt', `a\n${long}\nb\n${long}${long}`);
    const texts = await readAllTexts({ file: f, fields: ['text'] });
    expect(texts.map((t) => t.length)).toEqual([1, 1_500_000, 1, 3_000_000]);
    const err = await rejection((async () => {
      for await (const _ of readLines(f, { maxLineBytes: 2_000_000 })) void _;
    })());
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${f}:4: line is longer than 2000000 bytes`);
  });

  it('rejects invalid UTF-8 with the file, line and byte offset', async () => {
    const f = file('bad.txt', Buffer.concat([Buffer.from('ok\nab'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    const err = await rejection(readAllTexts({ file: f, fields: ['text'] }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${f}:2: invalid UTF-8 at byte 2 of the line`);
    // A truncated multi-byte sequence and an overlong encoding are invalid too.
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe6, 0xbc]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from('漢字ok'))).toBe(8);
  });

  it('reads a tsv by header name and checks every row', async () => {
    const f = file('p.tsv', 'id\tsentence1\tsentence2\n1\tA man eats.\tSomeone eats.\n2\tA cat.\t\n');
    expect(await records({ file: f, fields: ['sentence2', 'sentence1'] })).toEqual([
      { line: 2, values: ['Someone eats.', 'A man eats.'] },
      { line: 3, values: ['', 'A cat.'] },
    ]);
    const missing = await rejection(records({ file: f, fields: ['text'] }));
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toBe(`${f}: the header has no column 'text'; columns: id, sentence1, sentence2`);
    const short = file('s.tsv', 'a\tb\nx\ty\nonly\n');
    expect((await rejection(records({ file: short, fields: ['a'] }))).message).toBe(`${short}:3: expected 2 tab-separated fields as in the header, got 1`);
  });

  it('reads jsonl fields and names the line of every malformed record', async () => {
    const good = file('g.jsonl', '{"text": "hello", "id": 1}\n{"text": ""}\n');
    expect(await records({ file: good, fields: ['text'] })).toEqual([
      { line: 1, values: ['hello'] },
      { line: 2, values: [''] },
    ]);
    const cases: [string, string][] = [
      ['{"text": 3}', "field 'text' is a number; expected a string"],
      ['{"text": null}', "field 'text' is null; expected a string"],
      ['{"other": "x"}', "missing field 'text'"],
      ['["text"]', 'expected a JSON object, got an array'],
      ['', 'empty line; expected a JSON object'],
    ];
    for (const [i, [line, reason]] of cases.entries()) {
      const f = file(`bad${i}.jsonl`, `{"text": "ok"}\n${line}\n`);
      const err = await rejection(records({ file: f, fields: ['text'] }));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toBe(`${f}:2: ${reason}`);
    }
    const broken = file('broken.jsonl', '{"text": "ok"\n');
    expect((await rejection(records({ file: broken, fields: ['text'] }))).message).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: invalid JSON \\(`));
  });

  it('tells formats from extensions and refuses pairs from .txt', async () => {
    expect(inputFormatOf('a.TXT')).toBe('txt');
    expect(inputFormatOf('a.tsv')).toBe('tsv');
    expect(inputFormatOf('a.ndjson')).toBe('jsonl');
    expect(inputFormatOf('a.csv', 'txt')).toBe('txt');
    expect(() => inputFormatOf('a.csv')).toThrow("a.csv: cannot tell the input format from the extension '.csv'; pass --input-format txt|tsv|jsonl");
    const f = file('x.txt', 'a\n');
    expect((await rejection(records({ file: f, fields: ['a', 'b'] }))).message).toContain('2 fields need a .tsv or .jsonl file');
    const nf = await rejection(readAllTexts({ file: path.join(tmp.dir, 'nope.txt'), fields: ['text'] }));
    expect(nf).toBeInstanceOf(DataError);
    expect(nf.message).toBe(`${path.join(tmp.dir, 'nope.txt')}: file not found`);
  });

  it('scanInput counts records and hashes the bytes; chunked groups a stream', async () => {
    const content = 'a\nb\nc\nd\ne\n';
    const f = file('s.txt', content);
    expect(await scanInput({ file: f, fields: ['text'] })).toEqual({ count: 5, bytes: content.length, sha256: createHash('sha256').update(readFileSync(f)).digest('hex') });
    const groups: string[][] = [];
    for await (const g of chunked(readRecords({ file: f, fields: ['text'] }), 2)) groups.push(g.map((r) => r.values[0]!));
    expect(groups).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});
