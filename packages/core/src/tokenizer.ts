/**
 * Tokenization as sentence-transformers' `Transformer.tokenize` does it: each text is
 * stripped (and lower-cased when the model's `do_lower_case` is set), truncated with the
 * `longest_first` strategy at `maxSeqLength` (special tokens included) and padded to the
 * longest sequence of the batch.
 *
 * Tokenizers come from `tokenizer.json` (via @huggingface/tokenizers) or, for the many
 * checkpoints that ship only `vocab.txt`, from a BERT WordPiece pipeline built from it.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError, InputError } from './errors.js';
import { PrecompiledCharsmap } from './precompiled-charsmap.js';
import { readJsonFile, readJsonFileIfExists } from './serialization/json.js';

/** A padded, row-major batch of token ids. */
export interface TokenizedBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLength: number;
}

export interface SentenceTokenizerOptions {
  /** Truncation length, special tokens included. */
  maxSeqLength: number;
  /** sentence-transformers' `do_lower_case` (lower-cases before the tokenizer). Default false. */
  doLowerCase?: boolean;
}

type Json = Record<string, unknown>;

/** The special token string of a tokenizer_config / special_tokens_map entry. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json)['content'] === 'string') return (value as Json)['content'] as string;
  return undefined;
}

/**
 * The tokenizer.json that `transformers` builds for a BERT checkpoint with only a vocab.txt
 * (BertTokenizerFast's converter): BERT normaliser (Chinese characters split into single
 * tokens, lower-casing and accent stripping per `do_lower_case`), BERT pre-tokeniser,
 * WordPiece with `##` continuation, and `[CLS] A [SEP] (B [SEP])` post-processing.
 */
export function bertTokenizerJsonFromVocab(
  vocabLines: readonly string[],
  options: { doLowerCase: boolean; stripAccents?: boolean | null; tokenizeChineseChars?: boolean; specials?: Partial<Record<'unk' | 'sep' | 'pad' | 'cls' | 'mask', string>> },
): Json {
  const vocab: Record<string, number> = {};
  vocabLines.forEach((token, i) => {
    if (!(token in vocab)) vocab[token] = i;
  });
  const sp = { unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]', ...options.specials };
  for (const [role, token] of Object.entries(sp)) {
    if (!(token in vocab)) throw new ConfigError(`vocab.txt has no ${role} token '${token}'`, { field: role });
  }
  const added = Object.values(sp).map((content) => ({
    id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: options.tokenizeChineseChars ?? true,
      strip_accents: options.stripAccents ?? null,
      lowercase: options.doLowerCase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: sp.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sp.sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: sp.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sp.sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: sp.sep, type_id: 1 } },
      ],
      special_tokens: {
        [sp.cls]: { id: sp.cls, ids: [vocab[sp.cls]], tokens: [sp.cls] },
        [sp.sep]: { id: sp.sep, ids: [vocab[sp.sep]], tokens: [sp.sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: sp.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/**
 * Lengths kept by the `longest_first` strategy of Hugging Face tokenizers for a pair of
 * sequences of lengths n1, n2 when `budget` tokens are available.
 */
export function longestFirstLengths(n1: number, n2: number, budget: number): [number, number] {
  if (n1 + n2 <= budget) return [n1, n2];
  const swap = n1 > n2;
  let short = swap ? n2 : n1;
  let long: number;
  if (short > budget) long = short;
  else long = Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  return swap ? [long, short] : [short, long];
}

export type TextInput = string | readonly [string, string];

export class SentenceTokenizer {
  readonly maxSeqLength: number;
  readonly doLowerCase: boolean;
  /** Number of ids the model's embedding table has room for; ids are checked against it. */
  vocabSize: number;
  readonly padTokenId: number;
  private readonly tokenizer: Tokenizer;
  private readonly unkId: number;
  private readonly specialsSingle: number;
  private readonly specialsPair: number;
  /** What the tokenizer.json's BertNormalizer does (both false for other normalisers). */
  private readonly bertNormalizer: { lowercase: boolean; chinese: boolean };
  /**
   * Strip the text first (BERT pre-tokenisation drops surrounding whitespace anyway). Byte-level
   * BPE and Metaspace tokenizers keep it: ST 6.2 passes texts to them unstripped.
   */
  private readonly stripInput: boolean;
  /** Added tokens that lower-casing must not touch (a capturing alternation). */
  private readonly protectedTokens: RegExp | undefined;
  /** The files this tokenizer was built from, to be copied on save. */
  readonly sourceFiles: readonly string[];
  /** tokenizer.json contents (written on save when the source had none). */
  readonly tokenizerJson: Json;
  readonly tokenizerConfig: Json;

  constructor(tokenizerJson: Json, tokenizerConfig: Json, options: SentenceTokenizerOptions, sourceFiles: readonly string[] = []) {
    if (!Number.isInteger(options.maxSeqLength) || options.maxSeqLength < 1) {
      throw new ConfigError(`maxSeqLength must be a positive integer, got ${options.maxSeqLength}`, { field: 'max_seq_length' });
    }
    this.tokenizerJson = tokenizerJson;
    this.tokenizerConfig = tokenizerConfig;
    const pipeline = asTransformers5(tokenizerJson, tokenizerConfig);
    this.tokenizer = new Tokenizer(pipeline, tokenizerConfig);
    useCharsmaps(this.tokenizer.normalizer as JsNormalizer | null);
    this.stripInput = (pipeline['pre_tokenizer'] as { type?: string } | null | undefined)?.type === 'BertPreTokenizer';
    this.maxSeqLength = options.maxSeqLength;
    this.doLowerCase = options.doLowerCase ?? false;
    this.sourceFiles = sourceFiles;
    const model = this.tokenizer.model as unknown as { unk_token_id?: number; vocab: unknown[] };
    this.vocabSize = this.tokenizer.get_vocab(true).size;
    this.unkId = model.unk_token_id ?? 0;
    const padToken = tokenContent(tokenizerConfig['pad_token']) ?? '[PAD]';
    this.padTokenId = this.tokenizer.token_to_id(padToken) ?? 0;
    this.specialsSingle = this.postProcess([], null).length;
    const normalizer = tokenizerJson['normalizer'] as { type?: string; lowercase?: boolean; handle_chinese_chars?: boolean } | null | undefined;
    this.bertNormalizer = normalizer?.type === 'BertNormalizer'
      ? { lowercase: normalizer.lowercase === true, chinese: normalizer.handle_chinese_chars !== false }
      : { lowercase: false, chinese: false };
    const raw = (tokenizerJson['added_tokens'] as { content?: unknown; normalized?: unknown }[] | undefined) ?? [];
    const kept = raw.filter((t) => t.normalized === false && typeof t.content === 'string' && t.content !== '').map((t) => t.content as string);
    this.protectedTokens = kept.length
      ? new RegExp(`(${kept.sort((a, b) => b.length - a.length).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`)
      : undefined;
    this.specialsPair = this.postProcess([], []).length;
  }

  /**
   * Loads `tokenizer.json` (+ `tokenizer_config.json`, `special_tokens_map.json`) from a
   * model directory, or builds a WordPiece tokenizer from `vocab.txt` when there is no
   * tokenizer.json.
   */
  static async fromDirectory(dir: string, options: SentenceTokenizerOptions): Promise<SentenceTokenizer> {
    const config = (await readJsonFileIfExists(path.join(dir, 'tokenizer_config.json'))) ?? {};
    const specialMap = (await readJsonFileIfExists(path.join(dir, 'special_tokens_map.json'))) ?? {};
    const merged: Json = { ...specialMap, ...config };
    const jsonFile = path.join(dir, 'tokenizer.json');
    const files = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'sentencepiece.bpe.model', 'spiece.model']
      .map((f) => path.join(dir, f))
      .filter((f) => existsSync(f));
    if (existsSync(jsonFile)) {
      const json = await readJsonFile(jsonFile);
      try {
        return new SentenceTokenizer(json, merged, options, files);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(`${jsonFile}: cannot build the tokenizer (${(error as Error).message})`, { file: jsonFile }, { cause: error });
      }
    }
    const vocabFile = path.join(dir, 'vocab.txt');
    if (!existsSync(vocabFile)) {
      throw new ConfigError(`${dir}: no tokenizer found; expected tokenizer.json or a BERT vocab.txt`, { file: dir });
    }
    return SentenceTokenizer.fromVocabFile(vocabFile, options, merged, files);
  }

  /**
   * Builds the BERT WordPiece tokenizer that `transformers` makes from a vocab.txt alone.
   * `config` holds tokenizer_config.json keys (do_lower_case defaults to true, as BertTokenizer).
   */
  static async fromVocabFile(vocabFile: string, options: SentenceTokenizerOptions, config: Json = {}, files: readonly string[] = [vocabFile]): Promise<SentenceTokenizer> {
    let text: string;
    try {
      text = await fs.readFile(vocabFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`${vocabFile}: cannot read (${(error as Error).message})`, { file: vocabFile }, { cause: error });
    }
    const lines = text.split('\n');
    // A trailing newline leaves one empty last entry that is not a token.
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const doLowerCase = typeof config['do_lower_case'] === 'boolean' ? (config['do_lower_case'] as boolean) : true;
    const stripAccents = typeof config['strip_accents'] === 'boolean' ? (config['strip_accents'] as boolean) : null;
    const chinese = typeof config['tokenize_chinese_chars'] === 'boolean' ? (config['tokenize_chinese_chars'] as boolean) : true;
    const specials: Record<string, string> = {};
    for (const role of ['unk', 'sep', 'pad', 'cls', 'mask'] as const) {
      const t = tokenContent(config[`${role}_token`]);
      if (t) specials[role] = t;
    }
    let json: Json;
    try {
      json = bertTokenizerJsonFromVocab(lines.map((l) => l.replace(/\r$/, '')), { doLowerCase, stripAccents, tokenizeChineseChars: chinese, specials });
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${vocabFile}: ${error.message}`, { file: vocabFile }, { cause: error });
      throw error;
    }
    const cfg: Json = { do_lower_case: doLowerCase, model_max_length: 512, ...config };
    return new SentenceTokenizer(json, cfg, options, files);
  }

  private postProcess(a: string[], b: string[] | null): string[] {
    const pp = this.tokenizer.post_processor as unknown as ((a: string[], b: string[] | null, add: boolean) => { tokens: string[]; token_type_ids?: number[] }) | null;
    if (!pp) return [...a, ...(b ?? [])];
    return pp(a, b, true).tokens;
  }

  private preprocess(text: string): string {
    const t = this.stripInput ? text.trim() : text;
    const lower = this.doLowerCase || this.bertNormalizer.lowercase;
    if (!lower && !this.bertNormalizer.chinese) return t;
    // Lower-casing (sentence-transformers 6 does it through a normaliser) leaves added tokens
    // that are not normalised, e.g. "[CLS]" typed in the text, as they are.
    const parts = this.protectedTokens ? t.split(this.protectedTokens) : [t];
    return parts.map((part, i) => (i % 2 === 1 ? part : this.fixForJsNormalizer(part, lower))).join('');
  }

  /**
   * Makes @huggingface/tokenizers' BertNormalizer give the Rust tokenizers' result:
   * - lower-case one code point at a time, as Rust does (String.toLowerCase turns a
   *   word-final 'Σ' into 'ς', Rust into 'σ');
   * - isolate CJK ideographs outside the Basic Multilingual Plane (extension B and later),
   *   which the JS normaliser does not split into single tokens.
   */
  private fixForJsNormalizer(text: string, lower: boolean): string {
    let out = '';
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if (this.bertNormalizer.chinese && c > 0xffff && isAstralCjk(c)) out += ` ${ch} `;
      else out += lower ? ch.toLowerCase() : ch;
    }
    return out;
  }

  /** Token strings of a text without special tokens, after ST's strip / lower-case. */
  tokenize(text: string): string[] {
    const t = this.preprocess(text);
    if (t === '') return [];
    return this.tokenizer.tokenize(t, { add_special_tokens: false });
  }

  /** Ids for one text or pair, truncated at maxSeqLength, with special tokens; not padded. */
  encode(input: TextInput): { ids: number[]; typeIds: number[] } {
    const pair = typeof input !== 'string';
    let a = this.tokenize(pair ? input[0] : input);
    let b: string[] | null = pair ? this.tokenize(input[1]) : null;
    const budget = Math.max(0, this.maxSeqLength - (pair ? this.specialsPair : this.specialsSingle));
    if (b === null) {
      if (a.length > budget) a = a.slice(0, budget);
    } else {
      const [n1, n2] = longestFirstLengths(a.length, b.length, budget);
      a = a.slice(0, n1);
      b = b.slice(0, n2);
    }
    const pp = this.tokenizer.post_processor as unknown as ((a: string[], b: string[] | null, add: boolean) => { tokens: string[]; token_type_ids?: number[] }) | null;
    const out = pp ? pp(a, b, true) : { tokens: [...a, ...(b ?? [])] };
    const ids = out.tokens.map((t) => this.tokenizer.token_to_id(t) ?? this.unkId);
    const typeIds = out.token_type_ids ?? new Array<number>(ids.length).fill(0);
    return { ids, typeIds };
  }

  /**
   * Tokenizes a batch (texts or text pairs), pads to the longest and checks every id against
   * the vocabulary size.
   */
  encodeBatch(inputs: readonly TextInput[]): TokenizedBatch {
    inputs.forEach((input, i) => {
      const ok = typeof input === 'string' || (Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string');
      if (!ok) throw new InputError(`input ${i} is ${describe(input)}; expected a string or a [string, string] pair`);
    });
    const encoded = inputs.map((input) => this.encode(input));
    const seqLength = encoded.reduce((m, e) => Math.max(m, e.ids.length), 0);
    const batchSize = encoded.length;
    const inputIds = new Int32Array(batchSize * seqLength).fill(this.padTokenId);
    const attentionMask = new Int32Array(batchSize * seqLength);
    const tokenTypeIds = new Int32Array(batchSize * seqLength);
    encoded.forEach((e, row) => {
      for (let j = 0; j < e.ids.length; j++) {
        const id = e.ids[j]!;
        if (!(id >= 0 && id < this.vocabSize)) {
          throw new InputError(`input ${row}: token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
        }
        inputIds[row * seqLength + j] = id;
        attentionMask[row * seqLength + j] = 1;
        tokenTypeIds[row * seqLength + j] = e.typeIds[j] ?? 0;
      }
    });
    return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLength };
  }

  /** Token count of a text after truncation (special tokens included). */
  countTokens(input: TextInput): number {
    return this.encode(input).ids.length;
  }

  /** Writes the tokenizer files into a model directory. */
  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    const copied = new Set<string>();
    for (const file of this.sourceFiles) {
      const name = path.basename(file);
      await fs.copyFile(file, path.join(dir, name));
      copied.add(name);
    }
    if (!copied.has('tokenizer.json')) {
      await fs.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizerJson, null, 2));
    }
    if (!copied.has('tokenizer_config.json')) {
      await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(this.tokenizerConfig, null, 2));
    }
  }
}

/**
 * The pipeline transformers 5 actually runs. Its tokenizer classes with their own constructor
 * rebuild the normaliser and pre-tokeniser from the class, keeping only the vocabulary, merges,
 * added tokens and SentencePiece charsmap of tokenizer.json:
 * - XLMRobertaTokenizer: the `Precompiled` normaliser alone (the hub's `Replace(" {2,}", " ")`
 *   is dropped), `WhitespaceSplit` + `Metaspace(prepend_scheme: always)`; the charsmap is
 *   applied by {@link PrecompiledCharsmap} (see `useCharsmaps`);
 * - RobertaTokenizer: no normaliser, `ByteLevel(add_prefix_space)` from tokenizer_config.json.
 * Other classes are used as tokenizer.json describes them.
 */
export function asTransformers5(json: Json, config: Json): Json {
  const cls = String(config['tokenizer_class'] ?? '').replace(/Fast$/, '');
  if (cls === 'XLMRobertaTokenizer') {
    const normalizer = json['normalizer'] as { type?: string; normalizers?: { type?: string }[] } | null | undefined;
    const precompiled = normalizer?.type === 'Precompiled' ? normalizer : normalizer?.normalizers?.find((n) => n.type === 'Precompiled');
    // The JS WhitespaceSplit splits at /\s/, which lacks U+0085 (NEL), a separator for Rust's
    // char::is_whitespace; the charsmap keeps NEL, so it becomes a space, which splits the same.
    const nel = { type: 'Replace', pattern: { String: '\u0085' }, content: ' ' };
    return {
      ...json,
      normalizer: precompiled ? { type: 'Sequence', normalizers: [precompiled, nel] } : nel,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'WhitespaceSplit' },
          { type: 'Metaspace', replacement: '\u2581', prepend_scheme: config['add_prefix_space'] === false ? 'never' : 'always', split: true },
        ],
      },
    };
  }
  if (cls === 'RobertaTokenizer') {
    return { ...json, normalizer: null, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: config['add_prefix_space'] === true, trim_offsets: true, use_regex: true } };
  }
  return json;
}

/**
 * Makes every `Precompiled` normaliser of the pipeline (alone or inside a Sequence) apply its
 * SentencePiece charsmap as Rust tokenizers does ({@link PrecompiledCharsmap}); the JS library's
 * own `Precompiled` ignores the charsmap and approximates it with NFKC.
 */
function useCharsmaps(normalizer: JsNormalizer | null): void {
  if (!normalizer) return;
  if (normalizer.config?.type === 'Precompiled') {
    const base64 = normalizer.config.precompiled_charsmap;
    if (typeof base64 !== 'string' || base64 === '') return;
    const charsmap = new PrecompiledCharsmap(base64);
    normalizer.normalize = (text: string) => charsmap.normalize(text);
  } else if (normalizer.config?.type === 'Sequence' && Array.isArray(normalizer.normalizers)) {
    for (const inner of normalizer.normalizers) useCharsmaps(inner);
  }
}

/** The parts of an @huggingface/tokenizers normaliser object that {@link useCharsmaps} uses. */
interface JsNormalizer {
  config?: { type?: string; precompiled_charsmap?: unknown };
  normalizers?: (JsNormalizer | null)[];
  normalize(text: string): string;
}

/** CJK ideograph blocks above U+FFFF that BERT treats as Chinese characters. */
function isAstralCjk(c: number): boolean {
  return (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2b73f) || (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b820 && c <= 0x2ceaf) || (c >= 0x2f800 && c <= 0x2fa1f);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `of type ${typeof value}`;
}
