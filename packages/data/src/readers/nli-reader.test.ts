import { afterAll, describe, expect, it } from 'vitest';
import { bytes, data, tempDir } from '../test-utils/fixtures.js';
import { NLI_LABELS, NliReader } from './nli-reader.js';
import type { SkippedLine } from './record-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function countLabels(labels: unknown[]): number[] {
  return [0, 1, 2].map((id) => labels.filter((l) => l === id).length);
}

describe('NliReader on OCNLI (JSON Lines named .json)', () => {
  it.each([
    ['nli/ocnli/dev.json', [947, 1103, 900], 50],
    ['nli/ocnli/train.3k.json', [974, 1054, 966], 6],
    ['nli/ocnli/train.10k.json', [3309, 3434, 3242], 15],
  ])('%s: label counts per id and "-" rows excluded and counted', async (file, counts, dashes) => {
    const reader = new NliReader(data(file));
    const records = await reader.toArray();
    expect(countLabels(records.map((r) => r.label))).toEqual(counts);
    expect(records).toHaveLength(counts.reduce((a, b) => a + b, 0));
    expect(reader.stats).toMatchObject({ lines: counts.reduce((a, b) => a + b, 0) + dashes, skipped: {}, excluded: { 'label:-': dashes } });
  });

  it('maps names to ids entailment 0 / neutral 1 / contradiction 2 and keeps the texts', async () => {
    expect(NLI_LABELS).toEqual(['entailment', 'neutral', 'contradiction']);
    const records = await new NliReader(data('nli/ocnli/dev.json')).toArray();
    expect(records[0]).toEqual({ texts: ['身上裹一件工厂发的棉大衣,手插在袖筒里', '身上至少一件衣服'], label: 0 });
    expect(records[2949]).toEqual({ texts: ['对,后来全翻过来聊这个了', '后来我们聊这个了'], label: 0 });
    const custom = await new NliReader(data('nli/ocnli/dev.json'), { labelNames: ['contradiction', 'entailment', 'neutral'] }).toArray();
    expect(custom[0]!.label).toBe(1);
  });
});

describe('NliReader on crafted files', () => {
  it('JSONL: reports invalid JSON, missing fields, unknown labels and empty texts', async () => {
    const file = tmp.write(
      'nli.jsonl',
      [
        '{"sentence1":"p","sentence2":"h","label":"neutral"}',
        '{"sentence1":"p","sentence2":"h","label":"maybe"}',
        '{"sentence1":"p","label":"entailment"}',
        '{"sentence1":"p","sentence2":" ","label":"entailment"}',
        '{"sentence1":"p","sentence2":"h","label":"-"}',
        '{"sentence1":"p",',
        '["not","an","object"]',
        '{"sentence1":"p","sentence2":"h","label":3}',
        '{"sentence1":"p","sentence2":"h","label":2}',
        '{"sentence1":"p","sentence2":"h"}',
      ].join('\n'),
    );
    const skipped: SkippedLine[] = [];
    const reader = new NliReader(file, { onError: 'skip', onSkip: (s) => skipped.push(s), warn: () => undefined });
    expect(await reader.toArray()).toEqual([
      { texts: ['p', 'h'], label: 1 },
      { texts: ['p', 'h'], label: 2 },
    ]);
    expect(skipped.map((s) => `${s.line} ${s.code}`)).toEqual([
      '2 unparsable-label',
      '3 missing-field',
      '4 empty-text',
      '6 invalid-json',
      '7 invalid-json',
      '8 label-out-of-range',
      '10 missing-field',
    ]);
    expect(skipped[0]!.reason).toBe('label "maybe" is not one of entailment, neutral, contradiction (or an id 0..2)');
    expect(skipped[1]!.reason).toBe('missing "sentence2": expected a string');
    expect(skipped[4]!.reason).toBe('expected a JSON object, got an array');
    expect(reader.stats.excluded).toEqual({ 'label:-': 1 });
    await expect(new NliReader(file).toArray()).rejects.toThrow(`${file}:2: label "maybe" is not one of entailment, neutral, contradiction`);
  });

  it('JSONL: BOM stripped, CRLF accepted, invalid UTF-8 and bare CR reported with their line', async () => {
    const file = tmp.write(
      'bad-bytes.jsonl',
      bytes(
        [0xef, 0xbb, 0xbf],
        '{"sentence1":"p","sentence2":"h","label":"entailment"}\r\n',
        '{"sentence1":"p',
        [0xed, 0xa0, 0x80],
        '","sentence2":"h","label":"neutral"}\n',
        '{"sentence1":"p\r","sentence2":"h","label":"neutral"}\n',
        '\n',
        '{"sentence1":"last","sentence2":"h","label":"contradiction"}',
      ),
    );
    const skipped: SkippedLine[] = [];
    const reader = new NliReader(file, { onError: 'skip', onSkip: (s) => skipped.push(s), warn: () => undefined });
    expect(await reader.toArray()).toEqual([
      { texts: ['p', 'h'], label: 0 },
      { texts: ['last', 'h'], label: 2 },
    ]);
    expect(skipped.map((s) => s.message)).toEqual([
      `${file}:2: invalid UTF-8: byte 0xED at byte offset 15 of the line`,
      `${file}:3: carriage return (\\r) inside the line: expected LF or CRLF line ends only`,
    ]);
    expect(reader.stats).toEqual({ lines: 5, records: 2, blank: 1, skipped: { 'invalid-utf8': 1, 'bare-cr': 1 }, excluded: {} });
  });

  it('TSV: header detected from its label cell, columns by name, "-" excluded', async () => {
    const file = tmp.write('nli.tsv', 'text_a\ttext_b\tlabel\np1\th1\tcontradiction\np2\th2\t-\np3\th3\tentailment\textra\n');
    const reader = new NliReader(file, { onError: 'skip', warn: () => undefined });
    expect(await reader.toArray()).toEqual([{ texts: ['p1', 'h1'], label: 2 }]);
    expect(reader.stats).toMatchObject({ lines: 4, excluded: { 'label:-': 1 }, skipped: { 'column-count': 1 } });
    const byName = new NliReader(file, { fields: { premise: 'text_b', hypothesis: 'text_a', label: 'label' }, onError: 'skip', warn: () => undefined });
    expect(await byName.toArray()).toEqual([{ texts: ['h1', 'p1'], label: 2 }]);
    await expect(new NliReader(file, { fields: { premise: 'sentence1' } }).toArray()).rejects.toThrow(
      `${file}:1: header lacks the premise column "sentence1"; got text_a, text_b, label`,
    );
  });
});
