/**
 * convertCheckpoint / sbert-convert: any supported checkpoint in, a clean sentence-transformers
 * directory with safetensors out, embedding as before. That Python sentence-transformers loads the
 * output with the same embeddings is recorded by tools/parity/checkpoints/check_convert.sh in
 * tools/parity/fixtures/checkpoints/convert-check.json (checked below).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { convertCheckpoint, convertCli } from './convert-checkpoint.js';
import { InputError } from './errors.js';
import { SentenceTransformer } from './sentence-transformer.js';
import { maxAbsDiff, repoRoot } from './test-utils/paths.js';

const FIXTURES = path.join(repoRoot, 'tools/parity/fixtures/checkpoints');
const tmp = mkdtempSync(path.join(tmpdir(), 'sbert-convert-'));
const expected = (name: string): { texts: string[]; encode: { sentence_embeddings: number[][] }; cls_pooling?: { encode_sentence_embeddings: number[][] } } =>
  JSON.parse(readFileSync(path.join(FIXTURES, `${name}.expected.json`), 'utf8'));

function worst(a: Float32Array[], b: number[][]): number {
  return Math.max(...b.map((row, i) => maxAbsDiff(a[i]!, row)));
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convertCheckpoint', () => {
  it('a bert_config.json + pytorch_model.bin checkpoint becomes an ST directory with safetensors, same embeddings, no leaks', async () => {
    const before = tf.memory().numTensors;
    const out = path.join(tmp, 'bert');
    const result = await convertCheckpoint(path.join(FIXTURES, 'bert-bin-legacy'), out);
    expect(result).toEqual({ outDir: out, modelType: 'bert', modules: ['Transformer', 'Pooling'], embeddingDimension: 32, maxSeqLength: 64 });
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining(['1_Pooling', 'config.json', 'config_sentence_transformers.json', 'model.safetensors', 'modules.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']));
    expect(files.some((f) => f.endsWith('.bin') || f === 'bert_config.json')).toBe(false);
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['model_type']).toBe('bert');
    expect(config['architectures']).toEqual(['BertModel']);
    expect(tf.memory().numTensors).toBe(before);
    const model = await SentenceTransformer.load(out);
    expect(worst(await model.encode(expected('bert').texts, { batchSize: 8 }), expected('bert').encode.sentence_embeddings)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it("pooling: 'cls' is written into the output's Pooling config", async () => {
    const out = path.join(tmp, 'bert-cls');
    await convertCheckpoint(path.join(FIXTURES, 'bert-bin'), out, { pooling: 'cls' });
    const pooling = JSON.parse(readFileSync(path.join(out, '1_Pooling', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(pooling)).toContain('cls');
    const model = await SentenceTransformer.load(out);
    expect(worst(await model.encode(expected('bert').texts, { batchSize: 8 }), expected('bert').cls_pooling!.encode_sentence_embeddings)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it('refuses to overwrite, to write into its input, or to re-pool an ST directory', async () => {
    const full = path.join(tmp, 'occupied');
    mkdirSync(full, { recursive: true });
    writeFileSync(path.join(full, 'keep.txt'), 'x');
    await expect(convertCheckpoint(path.join(FIXTURES, 'bert-bin'), full)).rejects.toThrow(`convert: ${full} exists and is not empty; choose another directory or pass overwrite (--force)`);
    expect(readFileSync(path.join(full, 'keep.txt'), 'utf8')).toBe('x');
    await expect(convertCheckpoint(path.join(FIXTURES, 'bert-bin'), path.join(FIXTURES, 'bert-bin'))).rejects.toBeInstanceOf(InputError);
    await expect(convertCheckpoint(path.join(FIXTURES, 'mpnet'), path.join(tmp, 'mp'), { pooling: 'cls' })).rejects.toThrow('the pooling option applies only to plain Hugging Face checkpoints');
  });
});

describe('sbert-convert CLI', () => {
  const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await convertCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };

  it('converts, and reports bad arguments with exit code 2 and checkpoint problems with 1', async () => {
    const ok = await run(path.join(FIXTURES, 'distilbert'), path.join(tmp, 'cli-distil'));
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`${path.join(tmp, 'cli-distil')}: distilbert Transformer → Pooling, dimension 32, max_seq_length 32\n`);
    expect((await run('--help')).out).toContain('Usage: sbert-convert <input_dir> <output_dir>');
    const missing = await run('only-one');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('expected <input_dir> <output_dir>, got 1 argument(s)');
    expect((await run('a', 'b', '--pooling', 'median')).err).toContain('--pooling: unknown mode median; expected cls, max, mean');
    expect((await run('a', 'b', '--max-seq-length', '0')).code).toBe(2);
    const bad = path.join(tmp, 'bad-bin');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'bert_config.json'), readFileSync(path.join(FIXTURES, 'bert-bin', 'bert_config.json')));
    writeFileSync(path.join(bad, 'vocab.txt'), readFileSync(path.join(FIXTURES, 'bert-bin', 'vocab.txt')));
    writeFileSync(path.join(bad, 'pytorch_model.bin'), readFileSync(path.join(FIXTURES, 'bert-bin', 'pytorch_model.bin')).subarray(0, 5000));
    const corrupt = await run(bad, path.join(tmp, 'never'));
    expect(corrupt.code).toBe(1);
    expect(corrupt.err).toContain(`${path.join(bad, 'pytorch_model.bin')}: corrupt zip archive`);
    expect(existsSync(path.join(tmp, 'never'))).toBe(false);
  });

  const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/bin/convert.js');
  it.skipIf(!existsSync(built))('the built bin runs end to end on a .bin checkpoint', () => {
    const out = path.join(tmp, 'bin-e2e');
    const r = spawnSync(process.execPath, [built, path.join(FIXTURES, 'bert-sharded-bin'), out, '--pooling', 'cls'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('bert Transformer → Pooling, dimension 32, max_seq_length 64');
    expect(existsSync(path.join(out, 'model.safetensors'))).toBe(true);
  });

  it('Python sentence-transformers loaded every converted fixture with the same embeddings (convert-check.json)', () => {
    const record = JSON.parse(readFileSync(path.join(FIXTURES, 'convert-check.json'), 'utf8')) as { results: { input: string; ok: boolean; max_abs_diff: number; weight_report: Record<string, string[]> }[] };
    const inputs = record.results.map((r) => r.input);
    for (const dir of ['bert-bin', 'bert-bin-legacy', 'bert-bin-fp16', 'bert-bin-bf16', 'bert-bin-views', 'bert-sharded-bin', 'bert-sharded-safetensors', 'distilbert', 'roberta', 'xlm-roberta', 'mpnet']) {
      expect(inputs).toContain(dir);
    }
    for (const r of record.results) {
      expect(r.ok, r.input).toBe(true);
      expect(r.max_abs_diff, r.input).toBeLessThanOrEqual(1e-5);
      expect(r.weight_report, r.input).toEqual({ missing: [], unexpected: [], mismatch: [] });
    }
  });
});
