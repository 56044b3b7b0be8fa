import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import type { SkippedLine } from './record-reader.js';
import { StsReader } from './sts-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function histogram(labels: unknown[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const l of labels) h[String(l)] = (h[String(l)] ?? 0) + 1;
  return h;
}

describe('StsReader on the Chinese STS-B files', () => {
  it('train: 5,231 pairs with the documented score histogram', async () => {
    const records = await new StsReader(data('chinese-sts-b/STS-B.train.data')).toArray();
    expect(records).toHaveLength(5231);
    expect(histogram(records.map((r) => r.label))).toEqual({ '0': 836, '1': 807, '2': 887, '3': 1416, '4': 1033, '5': 252 });
    expect(records[0]).toEqual({ texts: ['一架飞机要起飞了。', '一架飞机正在起飞。'], label: 5 });
    expect(records[5230]).toEqual({ texts: ['在制裁战争中没有胜利者', '制裁对俄罗斯的影响'], label: 1 });
  });

  it('valid: 1,458 pairs, normalised to 0–1 on request', async () => {
    const records = await new StsReader(data('chinese-sts-b/STS-B.valid.data'), { normalize: true }).toArray();
    expect(records).toHaveLength(1458);
    expect(histogram(records.map((r) => r.label))).toEqual({ '0': 333, '0.2': 247, '0.4': 267, '0.6': 354, '0.8': 205, '1': 52 });
    expect(records[1457]).toEqual({ texts: ['污染丑闻发生后，大众汽车(Volkswagen)陷入红色。', '大众对柴油车主的“善意姿态”'], label: 0.4 });
  });
});

describe('StsReader on the English STS benchmark (tsv.gz, header, CRLF, literal quotes)', () => {
  const file = data('english-sts-b/stsbenchmark.tsv.gz');

  it('splits: train 5,749 / dev 1,500 / test 1,379, other splits counted as excluded', async () => {
    const counts: Record<string, number> = {};
    for (const split of ['train', 'dev', 'test'] as const) {
      const reader = new StsReader(file, { split });
      counts[split] = (await reader.toArray()).length;
      expect(reader.stats.lines).toBe(8629);
      expect(reader.stats.skipped).toEqual({});
    }
    expect(counts).toEqual({ train: 5749, dev: 1500, test: 1379 });
    const dev = new StsReader(file, { split: 'dev' });
    await dev.toArray();
    expect(dev.stats.excluded).toEqual({ 'split:train': 5749, 'split:test': 1379 });
  });

  it('first and last pairs of each split, scores as floats', async () => {
    const train = await new StsReader(file, { split: 'train' }).toArray();
    expect(train[0]).toEqual({ texts: ['A plane is taking off.', 'An air plane is taking off.'], label: 5 });
    expect(train[5748]).toEqual({
      texts: ['Putin spokesman: Doping charges appear unfounded', 'The Latest on Severe Weather: 1 Dead in Texas After Tornado'],
      label: 0,
    });
    // Sum of the raw scores of the split, computed from the file with Python: 15528.043397.
    expect(train.reduce((s, r) => s + (r.label as number), 0)).toBeCloseTo(15528.043397, 5);
    const test = await new StsReader(file, { split: 'test', normalize: true }).toArray();
    expect(test[0]).toEqual({ texts: ['A girl is styling her hair.', 'A girl is brushing her hair.'], label: 0.5 });
  });

  it('keeps quotes and surrounding spaces literally (no quote interpretation, no trimming)', async () => {
    const all = await new StsReader(file).toArray();
    expect(all).toHaveLength(8628);
    // file line 1525 (record 1523): quotes inside the sentence
    expect(all[1523]!.texts[0]).toBe('A dog in a "superman" shirt sleeps on a blanket.');
    // line 2237: a leading space in sentence1 and quotes in sentence2
    expect(all[2235]).toEqual({
      texts: [" billion . Everyone in the world at Mexico's current prosperity level.", 'Everyone in the world at the current "prosperity" level of Northwest Africa.'],
      label: 1.53333333333333,
    });
    expect(all.filter((r) => r.texts.some((t) => t.includes('"'))).length).toBe(412);
    expect(all.some((r) => r.texts.some((t) => t.includes('\r')))).toBe(false);
  });
});

describe('StsReader on crafted files', () => {
  it('reports bad scores, empty texts and wrong column counts with file:line', async () => {
    const file = tmp.write('sts.tsv', 'a\tb\t3\na\tb\t5.5\na\tb\t-1\na\tb\tNaN\na\tb\t\n\tb\t2\na\tb\n a \tb\t4.25\n');
    const skipped: SkippedLine[] = [];
    const reader = new StsReader(file, { onError: 'skip', onSkip: (s) => skipped.push(s), warn: () => undefined });
    expect(await reader.toArray()).toEqual([
      { texts: ['a', 'b'], label: 3 },
      { texts: [' a ', 'b'], label: 4.25 },
    ]);
    expect(skipped.map((s) => `${s.line} ${s.code}: ${s.reason}`)).toEqual([
      '2 label-out-of-range: score "5.5" is out of range: expected a number in [0, 5]',
      '3 label-out-of-range: score "-1" is out of range: expected a number in [0, 5]',
      '4 unparsable-label: score "NaN" is not a number',
      '5 unparsable-label: score "" is not a number',
      '6 empty-text: empty text in sentence1',
      '7 column-count: expected 3 tab-separated columns (sentence1, sentence2, score), got 2',
    ]);
    expect(reader.stats.skipped).toEqual({ 'label-out-of-range': 2, 'unparsable-label': 2, 'empty-text': 1, 'column-count': 1 });
  });

  it('checks STS benchmark rows against the header width, with real line numbers', async () => {
    const header = 'split\tgenre\tdataset\tyear\tsid\tscore\tsentence1\tsentence2';
    const file = tmp.write('stsb.tsv', `${header}\r\ndev\tg\td\t2012\t1\t2.0\ts1\ts2\r\ndev\tg\td\t2012\t2\t2.0\ts1\r\n`);
    await expect(new StsReader(file).toArray()).rejects.toThrow(
      `${file}:3: expected 8 tab-separated columns (split, genre, dataset, year, sid, score, sentence1, sentence2), got 7`,
    );
    const noSplit = tmp.write('pairs.tsv', 'a\tb\t1\n');
    await expect(new StsReader(noSplit, { split: 'dev' }).toArray()).rejects.toThrow('needs the STS benchmark layout');
  });
});
