import { InputError } from '@sbert/core';
import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import { GenericReader } from './generic-reader.js';
import type { SkippedLine } from './record-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { warn: () => undefined };

describe('GenericReader', () => {
  it('maps columns by index on a real headerless TSV (LCQMC dev, label as int)', async () => {
    const reader = new GenericReader(data('lcqmc/dev.txt'), { texts: [1, 0], label: 2, labelType: 'int', numLabels: 2 });
    const records = await reader.toArray();
    expect(records).toHaveLength(8802);
    expect(records[0]).toEqual({ texts: ['初婚未育情况证明怎么开？', '开初婚未育证明怎么弄？'], label: 1 });
  });

  it('maps columns by header name on a real gzipped TSV (STS benchmark), with an id column', async () => {
    const reader = new GenericReader(data('english-sts-b/stsbenchmark.tsv.gz'), {
      texts: ['sentence1', 'sentence2'],
      label: 'score',
      labelRange: [0, 5],
      id: 'sid',
    });
    const records = await reader.toArray();
    expect(records).toHaveLength(8628);
    expect(records[0]).toEqual({ texts: ['A plane is taking off.', 'An air plane is taking off.'], label: 5, id: '0001' });
  });

  it('maps JSON keys (OCNLI), label-free', async () => {
    const records = await new GenericReader(data('nli/ocnli/dev.json'), { texts: ['sentence2', 'sentence1'] }).toArray();
    expect(records).toHaveLength(3000);
    expect(records[0]).toEqual({ texts: ['身上至少一件衣服', '身上裹一件工厂发的棉大衣,手插在袖筒里'] });
  });

  it('CSV: quoted fields (even multi-line) are unquoted, and later line numbers stay real', async () => {
    const file = tmp.write(
      'pairs.csv',
      'anchor,positive,score\n"a, with comma","say ""hi""",0.5\n"multi\nline",p,1\nx,,0.2\nlast,p,2\n',
    );
    const skipped: SkippedLine[] = [];
    const reader = new GenericReader(file, {
      texts: ['anchor', 'positive'],
      label: 'score',
      labelRange: [0, 1],
      onError: 'skip',
      onSkip: (s) => skipped.push(s),
      ...quiet,
    });
    expect(await reader.toArray()).toEqual([
      { texts: ['a, with comma', 'say "hi"'], label: 0.5 },
      { texts: ['multi\nline', 'p'], label: 1 },
    ]);
    expect(skipped.map((s) => s.message)).toEqual([
      `${file}:5: empty text in column "positive"`,
      `${file}:6: label "2" is out of range: expected a number in [0, 1]`,
    ]);
  });

  it('checks the width against the first row when there is no header', async () => {
    const file = tmp.write('w.tsv', 'a\tb\tc\na\tb\nd\te\tf\n');
    const reader = new GenericReader(file, { texts: [0, 2], onError: 'skip', ...quiet });
    expect(await reader.toArray()).toEqual([{ texts: ['a', 'c'] }, { texts: ['d', 'f'] }]);
    expect(reader.stats.skipped).toEqual({ 'column-count': 1 });
    await expect(new GenericReader(file, { texts: [0, 2] }).toArray()).rejects.toThrow(`${file}:2: expected 3 tab-separated columns, got 2`);
  });

  it('rejects bad options and a header without the named column', async () => {
    expect(() => new GenericReader('x.tsv', { texts: [] })).toThrow(InputError);
    expect(() => new GenericReader('x.tsv', { texts: [0], labelType: 'int' })).toThrow('labelType \'int\' needs numLabels');
    const file = tmp.write('h.tsv', 'a\tb\n1\t2\n');
    await expect(new GenericReader(file, { texts: ['a', 'c'] }).toArray()).rejects.toThrow(`${file}:1: header lacks column "c"; columns are: a, b`);
  });
});
