import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { longestFirstLengths, SentenceTokenizer } from './tokenizer.js';
import { fixturesDir, repoRoot } from './test-utils/paths.js';

interface TokenizerFixture {
  files_used: string[];
  st_do_lower_case: boolean;
  construction: string;
  results: { max_length: number | string; texts: { input_ids: number[][]; token_type_ids: number[][] }; pairs: { input_ids: number[][]; token_type_ids: number[][] } }[];
}
const sentences = JSON.parse(readFileSync(path.join(fixturesDir, 'sentences.json'), 'utf8')) as { texts: string[]; pairs: [string, string][] };

describe('tokenizer ids equal the Python tokenizers ids (sentence-transformers 6.2 tokenize)', () => {
  for (const name of ['minilm', 'tiny-json', 'vocab-only-uncased', 'vocab-only-cased', 'cased-st-lowercase']) {
    const fixture = JSON.parse(readFileSync(path.join(fixturesDir, `tokenizer-${name}.json`), 'utf8')) as TokenizerFixture;
    const dir = path.join(repoRoot, path.dirname(fixture.files_used[0]!));
    const available = existsSync(dir);
    for (const result of fixture.results) {
      const maxSeqLength = Number(result.max_length);
      it.skipIf(!available)(`${name}, max length ${maxSeqLength}: ${sentences.texts.length} texts and ${sentences.pairs.length} pairs`, async () => {
        const options = { maxSeqLength, doLowerCase: fixture.st_do_lower_case };
        const vocabOnly = fixture.files_used[0]!.endsWith('.txt');
        // Built from a vocab.txt alone, with the do_lower_case the Python side was given.
        const tokenizer = vocabOnly
          ? await SentenceTokenizer.fromVocabFile(path.join(repoRoot, fixture.files_used[0]!), options, { do_lower_case: /do_lower_case=True/.test(fixture.construction) })
          : await SentenceTokenizer.fromDirectory(dir, options);
        const mismatches: number[] = [];
        sentences.texts.forEach((text, i) => {
          const { ids, typeIds } = tokenizer.encode(text);
          if (JSON.stringify(ids) !== JSON.stringify(result.texts.input_ids[i]) || JSON.stringify(typeIds) !== JSON.stringify(result.texts.token_type_ids[i])) mismatches.push(i);
        });
        expect(mismatches, 'texts whose ids differ').toEqual([]);
        sentences.pairs.forEach((pair, i) => {
          const { ids, typeIds } = tokenizer.encode(pair);
          expect(ids, `pair ${i}`).toEqual(result.pairs.input_ids[i]);
          expect(typeIds, `pair ${i}`).toEqual(result.pairs.token_type_ids[i]);
        });
      });
    }
  }
});

describe('SentenceTokenizer', () => {
  it('longest_first keeps what Hugging Face tokenizers keep', () => {
    expect(longestFirstLengths(3, 4, 10)).toEqual([3, 4]);
    expect(longestFirstLengths(3, 100, 10)).toEqual([3, 7]);
    expect(longestFirstLengths(100, 3, 10)).toEqual([7, 3]);
    expect(longestFirstLengths(50, 60, 11)).toEqual([5, 6]);
    expect(longestFirstLengths(60, 50, 11)).toEqual([6, 5]);
    expect(longestFirstLengths(20, 20, 0)).toEqual([0, 0]);
  });

  it('pads to the longest in the batch and rejects non-string inputs by index', async () => {
    const t = await SentenceTokenizer.fromDirectory(path.join(fixturesDir, 'tiny-vocab'), { maxSeqLength: 8 });
    const b = t.encodeBatch(['a', 'the weather is nice today and tomorrow', '']);
    expect(b.batchSize).toBe(3);
    expect(b.seqLength).toBe(8);
    expect(Array.from(b.attentionMask.subarray(16, 24))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(() => t.encodeBatch(['ok', 5 as unknown as string])).toThrow(new InputError('input 1 is of type number; expected a string or a [string, string] pair'));
  });

  it('checks ids against the embedding table before they reach the model', async () => {
    const t = await SentenceTokenizer.fromDirectory(path.join(fixturesDir, 'tiny-vocab'), { maxSeqLength: 8 });
    t.vocabSize = 50; // a model whose embedding table is smaller than the tokenizer's vocabulary
    expect(() => t.encodeBatch(['the weather is nice'])).toThrow(/input 0: token id \d+ is outside the vocabulary \(size 50\)/);
  });

  it('names the directory when there is no tokenizer', async () => {
    await expect(SentenceTokenizer.fromDirectory(fixturesDir, { maxSeqLength: 8 })).rejects.toThrow(`${fixturesDir}: no tokenizer found; expected tokenizer.json or a BERT vocab.txt`);
  });
});
