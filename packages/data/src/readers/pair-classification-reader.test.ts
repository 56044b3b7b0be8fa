import { DataError } from '@sbert/core';
import { afterAll, describe, expect, it } from 'vitest';
import { bytes, data, tempDir } from '../test-utils/fixtures.js';
import { PairClassificationReader } from './pair-classification-reader.js';
import type { SkippedLine } from './record-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('PairClassificationReader on the real LCQMC files', () => {
  it('reads all 8,802 dev pairs (4,402 ones, 4,400 zeros)', async () => {
    const reader = new PairClassificationReader(data('lcqmc/dev.txt'));
    const records = await reader.toArray();
    expect(records).toHaveLength(8802);
    expect(records.filter((r) => r.label === 1)).toHaveLength(4402);
    expect(records.filter((r) => r.label === 0)).toHaveLength(4400);
    expect(records[0]).toEqual({ texts: ['开初婚未育证明怎么弄？', '初婚未育情况证明怎么开？'], label: 1 });
    expect(records[99]).toEqual({ texts: ['胸部怎么按摩？', '怎么按摩胸部就大了'], label: 0 });
    expect(records[8801]).toEqual({ texts: ['不想学习，没有动力，怎么办', '不想学习怎么办啊，没动力'], label: 1 });
    expect(reader.stats).toEqual({ lines: 8802, records: 8802, blank: 0, skipped: {}, excluded: {} });
  });

  it('reads the label-first LET train sample (20 pairs, no final newline)', async () => {
    const reader = new PairClassificationReader(data('lcqmc/train_sample_LET.txt'), { labelPosition: 'first' });
    const records = await reader.toArray();
    expect(records).toHaveLength(20);
    expect(records.filter((r) => r.label === 1)).toHaveLength(11);
    expect(records[0]).toEqual({ texts: ['喜欢打篮球的男生喜欢什么样的女生', '爱打篮球的男生喜欢什么样的女生'], label: 1 });
    expect(records[19]).toEqual({ texts: ['过年送礼送什么好', '过年前什么时候送礼？'], label: 0 });
  });

  it('reports the label-first file read with the default order at line 1', async () => {
    const reader = new PairClassificationReader(data('lcqmc/train_sample_LET.txt'));
    await expect(reader.toArray()).rejects.toThrow(
      `${data('lcqmc/train_sample_LET.txt')}:1: label "爱打篮球的男生喜欢什么样的女生" is not an integer: expected 0..1`,
    );
  });
});

describe('PairClassificationReader on crafted files', () => {
  // line:  1 ok | 2 two columns | 3 label 2 | 4 label x | 5 blank | 6 empty text | 7 invalid UTF-8 | 8 four columns | 9 ok (CRLF) | 10 ok, no newline
  const broken = tmp.write(
    'broken.tsv',
    bytes(
      '今天天气\t天气如何\t1\n',
      'only\ttwo\n',
      'a\tb\t2\n',
      'a\tb\tx\n',
      '\n',
      'a\t  \t0\n',
      'a',
      [0xc3, 0x28],
      '\tb\t1\n',
      'a\tb\t1\textra\n',
      '"quoted\t"text\t0\r\n',
      'last\tline\t1',
    ),
  );

  it('raise: throws DataError(file, line, reason) at the first malformed line', async () => {
    const error = await new PairClassificationReader(broken).toArray().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toBe(`${broken}:2: expected 3 tab-separated columns (sentence1, sentence2, label), got 2`);
    expect((error as DataError).line).toBe(2);
    expect((error as DataError).file).toBe(broken);
  });

  it('skip: yields the good lines and counts every bad one by reason', async () => {
    const skipped: SkippedLine[] = [];
    const warnings: string[] = [];
    const reader = new PairClassificationReader(broken, {
      onError: 'skip',
      onSkip: (s) => skipped.push(s),
      warn: (m) => warnings.push(m),
    });
    const records = await reader.toArray();
    expect(records).toEqual([
      { texts: ['今天天气', '天气如何'], label: 1 },
      { texts: ['"quoted', '"text'], label: 0 },
      { texts: ['last', 'line'], label: 1 },
    ]);
    expect(skipped.map((s) => s.message)).toEqual([
      `${broken}:2: expected 3 tab-separated columns (sentence1, sentence2, label), got 2`,
      `${broken}:3: label "2" is out of range: expected an integer in 0..1`,
      `${broken}:4: label "x" is not an integer: expected 0..1`,
      `${broken}:6: empty text in sentence2`,
      `${broken}:7: invalid UTF-8: byte 0xC3 at byte offset 1 of the line`,
      `${broken}:8: expected 3 tab-separated columns (sentence1, sentence2, label), got 4`,
    ]);
    expect(reader.stats).toEqual({
      lines: 10,
      records: 3,
      blank: 1,
      skipped: { 'column-count': 2, 'label-out-of-range': 1, 'unparsable-label': 1, 'empty-text': 1, 'invalid-utf8': 1 },
      excluded: {},
    });
    expect(reader.skippedTotal).toBe(6);
    expect(warnings).toEqual([
      `${broken}: skipped 6 malformed lines (column-count 2, label-out-of-range 1, unparsable-label 1, empty-text 1, invalid-utf8 1); first: ${broken}:2: expected 3 tab-separated columns (sentence1, sentence2, label), got 2`,
    ]);
  });

  it('skip without a warn option still warns (process warning)', async () => {
    const seen: string[] = [];
    const listener = (w: Error) => seen.push(w.message);
    process.on('warning', listener);
    try {
      await new PairClassificationReader(broken, { onError: 'skip' }).toArray();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/skipped 6 malformed lines/);
  });

  it('reads gzip (by magic bytes too), strips the BOM, and handles CRLF', async () => {
    const content = bytes([0xef, 0xbb, 0xbf], 'a\tb\t1\r\nc\td\t0\r\n');
    for (const file of [tmp.write('bom.tsv', content), tmp.write('bom.tsv.gz', content, true), tmp.write('bom-gz-no-ext.txt', content, true)]) {
      expect(await new PairClassificationReader(file).toArray()).toEqual([
        { texts: ['a', 'b'], label: 1 },
        { texts: ['c', 'd'], label: 0 },
      ]);
    }
  });

  it('honours numLabels', async () => {
    const file = tmp.write('three.tsv', 'a\tb\t2\n');
    expect(await new PairClassificationReader(file, { numLabels: 3 }).toArray()).toEqual([{ texts: ['a', 'b'], label: 2 }]);
  });

  it('names the file when it cannot be read, and when the gzip is corrupt', async () => {
    const missing = `${tmp.dir}/missing.tsv`;
    await expect(new PairClassificationReader(missing).toArray()).rejects.toThrow(`${missing}: cannot open file (ENOENT`);
    const corrupt = tmp.write('corrupt.tsv.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(40, 7)]));
    await expect(new PairClassificationReader(corrupt).toArray()).rejects.toThrow(`${corrupt}: cannot read file (`);
  });

  it('stops cleanly when the consumer breaks early', async () => {
    const reader = new PairClassificationReader(data('lcqmc/dev.txt'));
    let n = 0;
    for await (const _ of reader) if (++n === 5) break;
    expect(n).toBe(5);
    expect(reader.stats.records).toBe(5);
  });
});
