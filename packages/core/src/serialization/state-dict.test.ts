/**
 * Finding the weights of a model directory: file preference, sharded indexes, and the errors
 * for missing, foreign or inconsistent files.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { repoRoot } from '../test-utils/paths.js';
import { readStateDict } from './state-dict.js';

const FIXTURES = path.join(repoRoot, 'tools/parity/fixtures/checkpoints');
const tmp = mkdtempSync(path.join(tmpdir(), 'sbert-state-dict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a fixture directory, changed by `edit`. */
function variant(fixture: string, edit: (dir: string) => void): string {
  const dir = path.join(tmp, `${fixture}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  edit(dir);
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<CheckpointError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CheckpointError);
  return error as CheckpointError;
}

describe('readStateDict', () => {
  it('reads every layout and reports the file it read', async () => {
    const cases: [string, string, number][] = [
      ['bert-bin', 'pytorch_model.bin', 48],
      ['bert-sharded-bin', 'pytorch_model.bin.index.json', 39],
      ['bert-sharded-safetensors', 'model.safetensors.index.json', 39],
      ['roberta', 'model.safetensors', 39],
    ];
    for (const [dir, file, count] of cases) {
      const sd = await readStateDict(path.join(FIXTURES, dir));
      expect(sd.file).toBe(path.join(FIXTURES, dir, file));
      expect(sd.tensors.size, dir).toBe(count);
    }
    const sharded = await readStateDict(path.join(FIXTURES, 'bert-sharded-safetensors'));
    expect(sharded.files.map((f) => path.basename(f))).toEqual(['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  it('prefers model.safetensors over pytorch_model.bin, as transformers', async () => {
    const both = variant('bert-bin', (d) => cpSync(path.join(FIXTURES, 'roberta', 'model.safetensors'), path.join(d, 'model.safetensors')));
    expect(path.basename((await readStateDict(both)).file)).toBe('model.safetensors');
  });

  it('names what it found when nothing can be loaded', async () => {
    const none = variant('bert-bin', (d) => rmSync(path.join(d, 'pytorch_model.bin')));
    expect((await rejection(readStateDict(none))).message).toBe(`${none}: no weights file; expected one of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json`);
    const tfOnly = variant('bert-bin', (d) => {
      rmSync(path.join(d, 'pytorch_model.bin'));
      writeFileSync(path.join(d, 'tf_model.h5'), 'x');
    });
    expect((await rejection(readStateDict(tfOnly))).message).toContain('found tf_model.h5, which cannot be loaded');
  });

  it('checks shard indexes: file names, missing shards, tensors missing from their shard, duplicates', async () => {
    const index = (d: string): string => path.join(d, 'pytorch_model.bin.index.json');
    const rewrite = (edit: (map: Record<string, string>) => void) => (d: string): void => {
      const doc = JSON.parse(readFileSync(index(d), 'utf8')) as { weight_map: Record<string, string> };
      edit(doc.weight_map);
      writeFileSync(index(d), JSON.stringify(doc));
    };
    const escape = variant('bert-sharded-bin', rewrite((m) => (m['pooler.dense.bias'] = '../../etc/passwd')));
    expect((await rejection(readStateDict(escape))).message).toBe(`${index(escape)}: tensor 'pooler.dense.bias' maps to "../../etc/passwd", expected a file name beside the index`);
    const lost = variant('bert-sharded-bin', (d) => rmSync(path.join(d, 'pytorch_model-00002-of-00002.bin')));
    expect((await rejection(readStateDict(lost))).message).toMatch(/pytorch_model-00002-of-00002\.bin: cannot read shard listed in pytorch_model\.bin\.index\.json/);
    const wrong = variant('bert-sharded-bin', rewrite((m) => (m['embeddings.word_embeddings.weight'] = 'pytorch_model-00002-of-00002.bin')));
    const error = await rejection(readStateDict(wrong));
    expect(error.message).toBe(`${path.join(wrong, 'pytorch_model-00002-of-00002.bin')}: missing tensors that pytorch_model.bin.index.json puts in this shard: embeddings.word_embeddings.weight`);
    expect(error.missing).toEqual(['embeddings.word_embeddings.weight']);
    const dup = variant('bert-sharded-bin', (d) => cpSync(path.join(d, 'pytorch_model-00001-of-00002.bin'), path.join(d, 'pytorch_model-00002-of-00002.bin')));
    expect((await rejection(readStateDict(dup))).message).toMatch(/pytorch_model-0000[12]-of-00002\.bin: missing tensors|is also in another shard/);
    const bad = variant('bert-sharded-bin', (d) => writeFileSync(index(d), '{"weight_map": [1]}'));
    expect((await rejection(readStateDict(bad))).message).toBe(`${index(bad)}: expected an object with a 'weight_map' of tensor name → shard file`);
  });

  it('a model missing tensors names the file and every missing tensor, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    // Drop the second shard from the index: its tensors are now missing from the model.
    let dropped: string[] = [];
    const partial = variant('bert-sharded-bin', (d) => {
      const file = path.join(d, 'pytorch_model.bin.index.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { weight_map: Record<string, string> };
      dropped = Object.keys(doc.weight_map).filter((k) => doc.weight_map[k]!.includes('00002'));
      for (const k of dropped) delete doc.weight_map[k];
      writeFileSync(file, JSON.stringify(doc));
    });
    const error = await rejection(SentenceTransformer.load(partial));
    expect(error.file).toBe(path.join(partial, 'pytorch_model.bin.index.json'));
    expect(error.message).toContain('pytorch_model.bin.index.json: weights do not fit the model config (missing: ');
    // The pooler is optional: without it the model simply has none.
    expect([...error.missing].sort()).toEqual(dropped.filter((k) => !k.startsWith('pooler.')).sort());
    expect(error.missing.length).toBeGreaterThan(10);
    expect(tf.memory().numTensors).toBe(before);
  });
});
