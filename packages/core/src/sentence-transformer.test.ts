import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { CheckpointError, ConfigError, InputError } from './errors.js';
import { Dense } from './modules/dense.js';
import { Normalize } from './modules/normalize.js';
import { SentenceTransformer } from './sentence-transformer.js';
import { readSafetensors, writeSafetensors } from './serialization/safetensors.js';
import { fixturesDir, maxAbsDiff } from './test-utils/paths.js';

const vocabDir = path.join(fixturesDir, 'tiny-vocab');
const texts = ['喜欢打篮球的男生喜欢什么样的女生', 'A man is playing a guitar.', '', '   ', 'short', '😀 emoji and 中文 mixed text 123'];

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'sbert-core-'));
}

describe('SentenceTransformer (created, saved, loaded)', () => {
  let model: SentenceTransformer;
  let baseline: number;

  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    baseline = tf.memory().numTensors;
    model = await SentenceTransformer.create({ tokenizer: vocabDir, layers: 2, hidden: 32, heads: 4, intermediate: 37, maxSeqLength: 24, seed: 7 });
    model.modules.push(new Dense(32, 16, { activationFunction: 'torch.nn.modules.activation.Tanh', seed: 3 }), new Normalize());
  });

  afterAll(() => {
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('encodes in input order whatever the batching, and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const one = await model.encode(texts, { batchSize: 1 });
    const all = await model.encode(texts, { batchSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect(one).toHaveLength(texts.length);
    expect(one[0]).toHaveLength(16);
    for (let i = 0; i < texts.length; i++) {
      expect(maxAbsDiff(one[i]!, all[i]!)).toBeLessThan(1e-5);
      // Each row equals the text encoded alone.
      expect(maxAbsDiff(one[i]!, await model.encode(texts[i]!))).toBeLessThan(1e-5);
    }
    // Empty and whitespace-only texts both tokenize to [CLS] [SEP] (ST strips).
    expect(maxAbsDiff(one[2]!, one[3]!)).toBe(0);
  });

  it('truncates before normalising, and quantizes on request', async () => {
    const full = await model.encode(texts);
    const cut = await model.encode(texts, { truncateDim: 4, normalize: true });
    expect(cut[0]).toHaveLength(4);
    const head = full[0]!.slice(0, 4);
    const norm = Math.hypot(...head);
    expect(maxAbsDiff(cut[0]!, head.map((v) => v / norm))).toBeLessThan(1e-6);
    const bin = await model.encode(texts, { precision: 'ubinary' });
    expect(bin[0]).toBeInstanceOf(Uint8Array);
    expect(bin[0]).toHaveLength(2);
  });

  it('returns [] for an empty list and rejects non-strings with the index', async () => {
    expect(await model.encode([])).toEqual([]);
    await expect(model.encode(['ok', 3 as unknown as string])).rejects.toThrow(new InputError('encode: item 1 is number; expected a string'));
    await expect(model.encode(['ok', null as unknown as string])).rejects.toThrow('encode: item 1 is null; expected a string');
    await expect(model.encode(['ok'], { batchSize: 0 })).rejects.toThrow('batchSize must be a positive integer, got 0');
  });

  it('saves the sentence-transformers layout and loads it back with identical embeddings', async () => {
    const dir = path.join(tmp(), 'model');
    const before = await model.encode(texts);
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual(
      ['1_Pooling', '2_Dense', '3_Normalize', 'config.json', 'config_sentence_transformers.json', 'model.safetensors', 'modules.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'].sort(),
    );
    expect(JSON.parse(await fs.readFile(path.join(dir, 'modules.json'), 'utf8'))).toEqual([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
      { idx: 3, name: '3', path: '3_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]);
    const stored = await readSafetensors(path.join(dir, '2_Dense', 'model.safetensors'));
    expect(stored.get('linear.weight')!.shape).toEqual([16, 32]);
    const loaded = await SentenceTransformer.load(dir);
    const after = await loaded.encode(texts);
    loaded.dispose();
    for (let i = 0; i < texts.length; i++) expect(maxAbsDiff(before[i]!, after[i]!)).toBe(0);
  });

  it('save replaces an existing directory atomically and leaves no temporary sibling', async () => {
    const parent = tmp();
    const dir = path.join(parent, 'model');
    await model.save(dir);
    await model.save(dir);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('keeps the previous model when a save fails half-way', async () => {
    const parent = tmp();
    const dir = path.join(parent, 'model');
    await model.save(dir);
    const original = await fs.readFile(path.join(dir, 'model.safetensors'));
    const broken = new SentenceTransformer([model.modules[0]!, model.modules[1]!, { ...new Normalize(), type: 'x', folderName: 'X', save: () => Promise.reject(new Error('disk full')), forward: (f) => f, toConfig: () => ({}), trainableWeights: () => [], dispose: () => {} }]);
    await expect(broken.save(dir)).rejects.toThrow('disk full');
    expect(Buffer.compare(await fs.readFile(path.join(dir, 'model.safetensors')), original)).toBe(0);
    expect(readdirSync(parent)).toEqual(['model']);
  });
});

describe('SentenceTransformer.load errors', () => {
  let dir: string;

  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    const m = await SentenceTransformer.create({ tokenizer: vocabDir, layers: 1, hidden: 8, heads: 2, intermediate: 16, maxSeqLength: 16 });
    dir = path.join(tmp(), 'good');
    await m.save(dir);
    m.dispose();
  });

  async function variant(edit: (d: string) => Promise<void>): Promise<string> {
    const d = path.join(tmp(), 'variant');
    await fs.cp(dir, d, { recursive: true });
    await edit(d);
    return d;
  }

  it('names a missing directory, file, or unknown module type', async () => {
    await expect(SentenceTransformer.load('/nonexistent/model')).rejects.toThrow('/nonexistent/model: model directory not found');
    const noConfig = await variant((d) => fs.rm(path.join(d, 'config.json')));
    await expect(SentenceTransformer.load(noConfig)).rejects.toThrow(`${noConfig}: no config.json or bert_config.json`);
    const unknown = await variant(async (d) => {
      const file = path.join(d, 'modules.json');
      const modules = JSON.parse(await fs.readFile(file, 'utf8')) as { type: string }[];
      modules[1]!.type = 'sentence_transformers.models.CNN';
      await fs.writeFile(file, JSON.stringify(modules));
    });
    const error = await SentenceTransformer.load(unknown).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${path.join(unknown, 'modules.json')}: module 1 has unsupported type 'sentence_transformers.models.CNN'; supported: Transformer, Pooling, Dense, Normalize`);
    expect((error as ConfigError).field).toBe('[1].type');
    const arch = await variant(async (d) => {
      const file = path.join(d, 'config.json');
      await fs.writeFile(file, JSON.stringify({ ...JSON.parse(await fs.readFile(file, 'utf8')), model_type: 'gpt2' }));
    });
    await expect(SentenceTransformer.load(arch)).rejects.toThrow("model_type 'gpt2' is not supported; supported: bert");
  });

  it('lists missing, unexpected and mis-shaped tensors at once, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const bad = await variant(async (d) => {
      const file = path.join(d, 'model.safetensors');
      const stored = await readSafetensors(file);
      const out: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, t] of stored) out[name] = { shape: t.shape, data: t.data as Float32Array };
      delete out['encoder.layer.0.output.dense.bias'];
      out['encoder.layer.0.extra.weight'] = { shape: [1], data: new Float32Array(1) };
      out['embeddings.LayerNorm.weight'] = { shape: [9], data: new Float32Array(9) };
      await writeSafetensors(file, out);
    });
    const error = (await SentenceTransformer.load(bad).catch((e: unknown) => e)) as CheckpointError;
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.missing).toEqual(['encoder.layer.0.output.dense.bias']);
    expect(error.unexpected).toEqual(['encoder.layer.0.extra.weight']);
    expect(error.mismatched).toEqual([{ name: 'embeddings.LayerNorm.weight', expected: [8], actual: [9] }]);
    expect(error.message).toContain('model.safetensors: weights do not fit the model config');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts a bert. prefix, and ignores position_ids buffers and task heads', async () => {
    const prefixed = await variant(async (d) => {
      const file = path.join(d, 'model.safetensors');
      const out: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, t] of await readSafetensors(file)) out[`bert.${name}`] = { shape: t.shape, data: t.data as Float32Array };
      out['cls.predictions.bias'] = { shape: [3], data: new Float32Array(3) };
      await writeSafetensors(file, out);
    });
    const a = await SentenceTransformer.load(dir);
    const b = await SentenceTransformer.load(prefixed);
    expect(maxAbsDiff(await a.encode('hello world'), await b.encode('hello world'))).toBe(0);
    a.dispose();
    b.dispose();
  });

  it('rejects a corrupt weights file with the file name', async () => {
    const corrupt = await variant((d) => fs.writeFile(path.join(d, 'model.safetensors'), Buffer.from([1, 2, 3])));
    await expect(SentenceTransformer.load(corrupt)).rejects.toThrow(`${path.join(corrupt, 'model.safetensors')}: not a valid safetensors file`);
    const noWeights = await variant((d) => fs.rename(path.join(d, 'model.safetensors'), path.join(d, 'pytorch_model.bin')));
    await expect(SentenceTransformer.load(noWeights)).rejects.toThrow('pytorch_model.bin: this looks like a safetensors file, not a PyTorch checkpoint');
    expect(existsSync(dir)).toBe(true);
  });
});
