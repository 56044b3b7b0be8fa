/**
 * XLM-R's `Precompiled` normaliser with a real SentencePiece charsmap (nmt_nfkc), against
 * transformers 5.23 / Rust tokenizers 0.23.3: tools/parity/checkpoints/xlmr_charsmap.py wrote the
 * tokenizer directory and, for several hundred strings rich in characters the charsmap rewrites
 * (full-width and half-width forms, ligatures, compatibility characters, combining sequences,
 * decomposed Hangul, kana voicing marks, emoji, zero-width, control and odd space characters,
 * circled digits, roman numerals, ...), the ids `AutoTokenizer` gives and the text Rust's
 * normaliser gives.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { PrecompiledCharsmap } from './precompiled-charsmap.js';
import { SentenceTokenizer } from './tokenizer.js';
import { repoRoot } from './test-utils/paths.js';

const FIXTURES = path.join(repoRoot, 'tools/parity/fixtures/checkpoints');
const DIR = path.join(FIXTURES, 'xlm-roberta-charsmap');

interface Case { text: string; kind: string; ids: number[]; normalized: string; rust_ids?: number[] }
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'xlm-roberta-charsmap.expected.json'), 'utf8')) as {
  versions: Record<string, string>;
  hub_style_same_ids: boolean;
  cases: Case[];
};
const cases = expected.cases;
const tokenizerJson = JSON.parse(readFileSync(path.join(DIR, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
const tokenizerConfig = JSON.parse(readFileSync(path.join(DIR, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
const charsmapBase64 = (tokenizerJson['normalizer'] as { precompiled_charsmap: string }).precompiled_charsmap;
const label = (c: Case, i: number) => `case ${i} (${c.kind}) ${JSON.stringify(c.text.slice(0, 40))}`;

describe('Precompiled (SentencePiece charsmap) normaliser, XLM-R', () => {
  it('the fixture is one that the NFKC approximation gets wrong', () => {
    expect(expected.versions['transformers']).toBe('5.23.0');
    expect(expected.versions['tokenizers']).toBe('0.23.3');
    expect(cases.length).toBeGreaterThan(500);
    // Rust's Precompiled is not NFKC: a test passing with NFKC would prove nothing.
    const nfkcWrong = cases.filter((c) => c.text.normalize('NFKC') !== c.normalized).length;
    expect(nfkcWrong).toBeGreaterThan(50);
    // The Rust tokenizer loaded from the file agrees with AutoTokenizer everywhere.
    expect(cases.filter((c) => c.rust_ids !== undefined)).toEqual([]);
  });

  it("PrecompiledCharsmap gives Rust's Precompiled.normalize_str for every string", () => {
    const charsmap = new PrecompiledCharsmap(charsmapBase64);
    cases.forEach((c, i) => expect(charsmap.normalize(c.text), label(c, i)).toBe(c.normalized));
  });

  it('SentenceTokenizer.fromDirectory gives the ids of transformers AutoTokenizer for every string', async () => {
    const tok = await SentenceTokenizer.fromDirectory(DIR, { maxSeqLength: 4096 });
    const wrong = cases.map((c, i) => ({ i, c, ids: tok.encode(c.text).ids })).filter(({ c, ids }) => JSON.stringify(ids) !== JSON.stringify(c.ids));
    for (const { i, c, ids } of wrong.slice(0, 5)) expect(ids, label(c, i)).toEqual(c.ids);
    expect(wrong.length).toBe(0);
  });

  it("the hub's layout (Sequence[Precompiled, Replace] + Metaspace) gives the same ids, as transformers 5 rebuilds it", () => {
    expect(expected.hub_style_same_ids).toBe(true);
    const hub = {
      ...tokenizerJson,
      normalizer: { type: 'Sequence', normalizers: [tokenizerJson['normalizer'], { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
      pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
    };
    const tok = new SentenceTokenizer(hub, tokenizerConfig, { maxSeqLength: 4096 });
    cases.forEach((c, i) => expect(tok.encode(c.text).ids, label(c, i)).toEqual(c.ids));
  });

  it('keeps the grapheme rules of Rust tokenizers (shortest key of a short cluster replaces the whole cluster)', () => {
    // Values checked with tokenizers 0.23.3: Precompiled(charsmap).normalize_str(text).
    const charsmap = new PrecompiledCharsmap(charsmapBase64);
    // "e" + circumflex + tilde (5 bytes): the key "e\u0302" replaces the cluster, the tilde is lost.
    expect(charsmap.normalize('Nguye\u0302\u0303n')).toBe('Nguy\u00ean');
    expect(charsmap.normalize('\uff21\u034f')).toBe('A');
    expect(charsmap.normalize('e\u0301')).toBe('\u00e9');
    expect(charsmap.normalize('\r\n')).toBe(' ');
    // Clusters of 6 bytes or more are looked up one code point at a time: conjoining jamo stay
    // decomposed, a half-width kana + voicing mark becomes kana + combining mark.
    expect(charsmap.normalize('\u1100\u1161')).toBe('\u1100\u1161');
    expect(charsmap.normalize('\uff83\uff9e\uff70\uff80')).toBe('\u30c6\u3099\u30fc\u30bf');
    expect(charsmap.normalize('plain ASCII text')).toBe('plain ASCII text');
  });

  it('rejects a charsmap that is not a SentencePiece charsmap with a ConfigError naming the field', () => {
    expect(() => new PrecompiledCharsmap('AAA=')).toThrow(ConfigError);
    expect(() => new PrecompiledCharsmap(Buffer.from([0xff, 0, 0, 0, 1, 2]).toString('base64'))).toThrow(/precompiled_charsmap is not a SentencePiece charsmap \(trie size 255 for 6 bytes\)/);
  });
});
