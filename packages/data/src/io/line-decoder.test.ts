import { DataError } from '@sbert/core';
import { describe, expect, it } from 'vitest';
import { bytes } from '../test-utils/fixtures.js';
import { LineDecoder, firstInvalidUtf8 } from './line-decoder.js';

/** Feeds `input` in chunks of `size` bytes and returns the text plus the issues by line. */
function decode(input: Buffer, size = input.length) {
  const decoder = new LineDecoder('f.txt');
  let text = '';
  for (let i = 0; i < input.length; i += size) text += decoder.write(input.subarray(i, i + size));
  text += decoder.end();
  const issues = [];
  for (let line = 1; line <= decoder.lineCount; line++) {
    const issue = decoder.take(line);
    if (issue) issues.push(issue);
  }
  return { text, lines: decoder.lineCount, issues };
}

describe('firstInvalidUtf8', () => {
  it('accepts valid UTF-8 of every length', () => {
    expect(firstInvalidUtf8(Buffer.from('aé中😀', 'utf8'))).toBe(-1);
  });
  it.each([
    ['lone continuation byte', [0x61, 0x80], 1],
    ['0xFF', [0x61, 0x62, 0xff], 2],
    ['overlong 2-byte NUL (C0 80)', [0xc0, 0x80], 0],
    ['overlong 3-byte (E0 80 80)', [0xe0, 0x80, 0x80], 0],
    ['UTF-16 surrogate (ED A0 80)', [0x61, 0xed, 0xa0, 0x80], 1],
    ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80], 0],
    ['F5 lead byte', [0xf5, 0x80, 0x80, 0x80], 0],
    ['truncated 3-byte sequence', [0x61, 0xe4, 0xb8], 1],
  ])('finds %s', (_name, input, offset) => {
    expect(firstInvalidUtf8(Uint8Array.from(input))).toBe(offset);
  });
});

describe('LineDecoder', () => {
  it('passes clean LF text through and counts lines', () => {
    const r = decode(Buffer.from('a\tb\n中文\n'));
    expect(r).toEqual({ text: 'a\tb\n中文\n', lines: 2, issues: [] });
  });

  it('terminates a last line that has no newline', () => {
    expect(decode(Buffer.from('x\ny'))).toEqual({ text: 'x\ny\n', lines: 2, issues: [] });
  });

  it('drops the BOM at the start of the file only', () => {
    const r = decode(bytes([0xef, 0xbb, 0xbf], 'a\n', [0xef, 0xbb, 0xbf], 'b\n'));
    expect(r.text).toBe('a\n\uFEFFb\n');
  });

  it('turns CRLF line ends into LF', () => {
    expect(decode(Buffer.from('a\r\nb\r\n'))).toEqual({ text: 'a\nb\n', lines: 2, issues: [] });
  });

  it('blanks an invalid UTF-8 line and records where it broke', () => {
    const r = decode(bytes('ok\n', 'ab', [0xff], 'c\n', 'fine\n'));
    expect(r.text).toBe('ok\n\nfine\n');
    expect(r.issues).toEqual([
      { line: 2, code: 'invalid-utf8', reason: 'invalid UTF-8: byte 0xFF at byte offset 2 of the line' },
    ]);
  });

  it('blanks a line holding a bare CR, strips CR of CRLF on the others', () => {
    const r = decode(Buffer.from('a\r\nb\rc\r\nd\n'));
    expect(r.text).toBe('a\n\nd\n');
    expect(r.issues).toEqual([
      { line: 2, code: 'bare-cr', reason: 'carriage return (\\r) inside the line: expected LF or CRLF line ends only' },
    ]);
  });

  it('gives the same result whatever the chunking (multi-byte characters split across chunks)', () => {
    const input = bytes([0xef, 0xbb, 0xbf], '句子一\t句子二\t1\r\n', 'x', [0xe4, 0xb8], '\n', 'ünïcödé\nlast');
    const whole = decode(input);
    for (const size of [1, 2, 3, 5, 7]) expect(decode(input, size)).toEqual(whole);
    expect(whole.lines).toBe(4);
    expect(whole.issues.map((i) => i.line)).toEqual([2]);
  });

  it('refuses a line longer than maxLineBytes', () => {
    const decoder = new LineDecoder('big.txt', 8);
    decoder.write(Buffer.from('ok\n'));
    expect(() => decoder.write(Buffer.from('0123456789'))).toThrow(DataError);
    expect(() => new LineDecoder('big.txt', 8).write(Buffer.from('ok\n0123456789'))).toThrow(
      'big.txt:2: line is longer than 8 bytes (maxLineBytes); expected a line-oriented text file',
    );
  });
});
