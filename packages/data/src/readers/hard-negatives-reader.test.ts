import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import { HardNegativesReader } from './hard-negatives-reader.js';
import type { SkippedLine } from './record-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { warn: () => undefined };

describe('HardNegativesReader on the BGE / FlagEmbedding file', () => {
  const file = data('msmarco/flagembedding-msmarco-hardneg-teacher-scores.jsonl');

  it('10 records of query + 1 positive + 25 negatives, raw teacher scores as the label', async () => {
    const records = await new HardNegativesReader(file).toArray();
    expect(records).toHaveLength(10);
    for (const r of records) {
      expect(r.texts).toHaveLength(27);
      expect(r.label).toHaveLength(26);
    }
    const first = records[0]!;
    expect(first.texts[0]).toBe(')what was the immediate impact of the success of the manhattan project?');
    expect(first.texts[1]!.startsWith('Introduction The presence of communication amid sc')).toBe(true);
    expect(first.texts[2]!.startsWith('The Launch of Sputnik, 1957 The Soviets responded ')).toBe(true);
    const label = first.label as number[];
    expect(label.slice(0, 4)).toEqual([96.6875, 90.5625, 89.0, 92.9375]);
    expect(label[25]).toBe(92.625);
    expect(records[9]!.texts[0]).toBe('feeding rice cereal how many times per day');
    expect((records[9]!.label as number[]).slice(0, 3)).toEqual([96.875, 90.1875, 88.0625]);
  });

  it('margins, a fixed number of negatives, or no label', async () => {
    const [m] = await new HardNegativesReader(file, { label: 'margins', numNegatives: 2 }).toArray();
    expect(m!.texts).toHaveLength(4);
    expect(m!.label).toEqual([96.6875 - 90.5625, 96.6875 - 89.0]);
    const [plain] = await new HardNegativesReader(file, { label: 'none', numNegatives: 1 }).toArray();
    expect(plain!.label).toBeUndefined();
    expect(plain!.texts).toHaveLength(3);
  });

  it('reports score/text count mismatches and missing negatives', async () => {
    const bad = tmp.write(
      'hn.jsonl',
      [
        '{"query":"q","pos":["p"],"neg":["n1","n2"],"pos_scores":[1],"neg_scores":[0.5,0.25]}',
        '{"query":"q","pos":["p"],"neg":["n1","n2"],"pos_scores":[1],"neg_scores":[0.5]}',
        '{"query":"q","pos":[],"neg":["n1"],"pos_scores":[],"neg_scores":[0.5]}',
        '{"query":"q","pos":["p"],"neg":["n1"],"pos_scores":[1],"neg_scores":[0.5]}',
        '{"query":"q","pos":["p"],"neg":["n1","n2"],"pos_scores":["high"],"neg_scores":[0.5,0.1]}',
      ].join('\n'),
    );
    const skipped: SkippedLine[] = [];
    const reader = new HardNegativesReader(bad, { numNegatives: 2, onError: 'skip', onSkip: (s) => skipped.push(s), ...quiet });
    expect(await reader.toArray()).toEqual([{ texts: ['q', 'p', 'n1', 'n2'], label: [1, 0.5, 0.25] }]);
    expect(skipped.map((s) => `${s.line}: ${s.reason}`)).toEqual([
      '2: "neg_scores" has 1 scores but "neg" has 2 texts',
      '3: "pos" must be a non-empty array of strings',
      '4: "neg" has 1 negatives, fewer than numNegatives = 2',
      '5: "pos_scores"[0] "high" is not a number',
    ]);
    expect(reader.stats.skipped).toEqual({ 'length-mismatch': 2, 'missing-field': 1, 'unparsable-label': 1 });
  });
});
