/**
 * Parity with sentence-transformers 6.2 on the checkpoints people have on disk
 * (tools/parity/checkpoints/make_fixtures.py): one BERT in seven file layouts (torch.save zip and
 * legacy .bin, float16, bfloat16, shared-storage views, sharded .bin and .safetensors,
 * bert_config.json), and tiny DistilBERT, RoBERTa, XLM-RoBERTa and MPNet models.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { mpnetRelativePositionBucket } from './modules/architectures/mpnet.js';
import { SentenceTransformer } from './sentence-transformer.js';
import { SentenceTokenizer } from './tokenizer.js';
import { readSafetensors } from './serialization/safetensors.js';
import { maxAbsDiff, repoRoot } from './test-utils/paths.js';

const FIXTURES = path.join(repoRoot, 'tools/parity/fixtures/checkpoints');
const TOL = 1e-5;

interface Expected {
  texts: string[];
  max_seq_length: number;
  input_ids: number[][];
  single_batch: { lengths: number[]; hidden: number; token_embeddings_f32_b64: string[]; sentence_embeddings: number[][] };
  encode: { sentence_embeddings: number[][] };
  cls_pooling?: { single_batch_sentence_embeddings: number[][]; encode_sentence_embeddings: number[][] };
  relative_position_bucket?: { relative_positions: number[]; buckets: number[] };
  hf_config?: Record<string, unknown>;
}

const expected = (name: string): Expected => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;

function b64f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function worstRow(actual: ArrayLike<number>[], want: number[][]): number {
  expect(actual).toHaveLength(want.length);
  return Math.max(...want.map((row, i) => maxAbsDiff(actual[i]!, row)));
}

/** Token ids, one padded batch (token + sentence embeddings) and encode(), against the fixture. */
async function checkModel(model: SentenceTransformer, exp: Expected): Promise<{ tokens: number; sentences: number; encode: number }> {
  expect(model.maxSeqLength).toBe(exp.max_seq_length);
  exp.texts.forEach((text, i) => {
    expect(Array.from(model.tokenize([text]).inputIds), `ids of text ${i} ${JSON.stringify(text.slice(0, 40))}`).toEqual(exp.input_ids[i]);
  });
  const features = SentenceTransformer.toFeatures(model.tokenize(exp.texts));
  const out = model.forward(features);
  const tokens = (await out.tokenEmbeddings!.array()) as number[][][];
  const sentences = (await out.sentenceEmbedding!.array()) as number[][];
  tf.dispose([features.inputIds, features.attentionMask, features.tokenTypeIds!, out.tokenEmbeddings!, out.sentenceEmbedding!]);
  let worstToken = 0;
  exp.single_batch.token_embeddings_f32_b64.forEach((b64, i) => {
    const want = b64f32(b64);
    const got = tokens[i]!.slice(0, exp.single_batch.lengths[i]).flat();
    expect(got.length).toBe(want.length);
    worstToken = Math.max(worstToken, maxAbsDiff(got, want));
  });
  return {
    tokens: worstToken,
    sentences: worstRow(sentences, exp.single_batch.sentence_embeddings),
    encode: worstRow(await model.encode(exp.texts, { batchSize: 8 }), exp.encode.sentence_embeddings),
  };
}

const CASES: [dir: string, expectedName: string][] = [
  ['bert-bin', 'bert'],
  ['bert-bin-legacy', 'bert'],
  ['bert-bin-fp16', 'bert-fp16'],
  ['bert-bin-bf16', 'bert-bf16'],
  ['bert-bin-views', 'bert'],
  ['bert-sharded-bin', 'bert'],
  ['bert-sharded-safetensors', 'bert'],
  ['distilbert', 'distilbert'],
  ['roberta', 'roberta'],
  ['xlm-roberta', 'xlm-roberta'],
  ['mpnet', 'mpnet'],
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`checkpoint parity with sentence-transformers 6.2 (${backend})`, () => {
    beforeAll(async () => {
      await initBackend({ backend });
    });
    // The pure-JS cpu backend runs one case per architecture.
    const cases = backend === 'wasm' ? CASES : CASES.filter(([d]) => ['bert-bin-legacy', 'distilbert', 'roberta', 'xlm-roberta', 'mpnet'].includes(d));
    for (const [dir, name] of cases) {
      it(`${dir}: ids, token and sentence embeddings within ${TOL}, no leaks`, async () => {
        const before = tf.memory().numTensors;
        const model = await SentenceTransformer.load(path.join(FIXTURES, dir));
        const worst = await checkModel(model, expected(name));
        model.dispose();
        expect(worst.tokens).toBeLessThanOrEqual(TOL);
        expect(worst.sentences).toBeLessThanOrEqual(TOL);
        expect(worst.encode).toBeLessThanOrEqual(TOL);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });
}

describe('architectures: details pinned by the fixtures', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'sbert-ckpt-'));
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("a plain BERT checkpoint loads with pooling: 'cls' as ST's Transformer + Pooling('cls')", async () => {
    const exp = expected('bert');
    const model = await SentenceTransformer.load(path.join(FIXTURES, 'bert-bin'), { pooling: 'cls' });
    const features = SentenceTransformer.toFeatures(model.tokenize(exp.texts));
    const out = model.forward(features);
    const single = (await out.sentenceEmbedding!.array()) as number[][];
    tf.dispose([features.inputIds, features.attentionMask, features.tokenTypeIds!, out.tokenEmbeddings!, out.sentenceEmbedding!]);
    expect(worstRow(single, exp.cls_pooling!.single_batch_sentence_embeddings)).toBeLessThanOrEqual(TOL);
    expect(worstRow(await model.encode(exp.texts, { batchSize: 8 }), exp.cls_pooling!.encode_sentence_embeddings)).toBeLessThanOrEqual(TOL);
    model.dispose();
  });

  it("MPNet's relative position buckets equal torch's for offsets -600..600", () => {
    const { relative_positions: rel, buckets } = expected('mpnet').relative_position_bucket!;
    expect(rel.map((r) => mpnetRelativePositionBucket(r))).toEqual(buckets);
  });

  it('an XLM-R tokenizer.json with the hub pipeline tokenizes as transformers 5 rebuilds it', async () => {
    const exp = JSON.parse(readFileSync(path.join(FIXTURES, 'xlm-roberta-hubstyle-tokenizer.expected.json'), 'utf8')) as { texts: string[]; input_ids: number[][]; max_length: number; raw_tokenizer_json_differs_at: number[] };
    expect(exp.raw_tokenizer_json_differs_at.length).toBeGreaterThan(0);
    const tok = await SentenceTokenizer.fromDirectory(path.join(FIXTURES, 'xlm-roberta-hubstyle-tokenizer'), { maxSeqLength: exp.max_length });
    exp.texts.forEach((text, i) => expect(tok.encode(text).ids, `text ${i} ${JSON.stringify(text.slice(0, 30))}`).toEqual(exp.input_ids[i]));
  });

  for (const name of ['distilbert', 'roberta', 'xlm-roberta', 'mpnet', 'bert-bin-legacy']) {
    it(`${name}: save writes HF names and model_type; the reload embeds identically`, async () => {
      const model = await SentenceTransformer.load(path.join(FIXTURES, name));
      const out = path.join(tmp, name);
      await model.save(out);
      const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      const modelType = name.startsWith('bert') ? 'bert' : name;
      expect(config['model_type']).toBe(modelType);
      const stored = await readSafetensors(path.join(out, 'model.safetensors'));
      const names = [...stored.keys()];
      expect(names).toContain('embeddings.word_embeddings.weight');
      if (name === 'distilbert') expect(names).toContain('transformer.layer.0.attention.q_lin.weight');
      if (name === 'mpnet') expect(names).toContain('encoder.relative_attention_bias.weight');
      if (name === 'bert-bin-legacy') expect(names).toContain('embeddings.LayerNorm.weight');
      // Weights that came from a file are written back bit for bit.
      const original = name === 'bert-bin-legacy' ? undefined : expected(name).hf_config;
      if (original) expect(config['vocab_size']).toBe(original['vocab_size']);
      const reloaded = await SentenceTransformer.load(out);
      const texts = expected(name.startsWith('bert') ? 'bert' : name).texts;
      const a = await model.encode(texts);
      const b = await reloaded.encode(texts);
      expect(Math.max(...a.map((r, i) => maxAbsDiff(r, b[i]!)))).toBe(0);
      model.dispose();
      reloaded.dispose();
    });
  }
});
