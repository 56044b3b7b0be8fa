import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import { MsMarcoTriplesReader } from './msmarco-triples-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('MS MARCO text triples', () => {
  it('reads the 100-line head of triples.train.small, mojibake kept byte-for-byte', async () => {
    const records = await new MsMarcoTriplesReader(data('msmarco/triples.train.small.head100.tsv')).toArray();
    expect(records).toHaveLength(100);
    expect(records[0]!.texts[0]).toBe('is a little caffeine ok during pregnancy');
    expect(records[0]!.texts[1]!.startsWith('We don\u00e2\u0080\u0099t know a lot about the effects of caffeine during p')).toBe(true);
    expect(records[99]!.texts[0]).toBe('what size can a carry on duffle bag be when flying');
    expect(new Set(records.map((r) => r.texts[0])).size).toBe(100);
    expect(records.every((r) => r.texts.length === 3 && r.label === undefined)).toBe(true);
  });
});
