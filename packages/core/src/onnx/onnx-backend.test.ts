/**
 * `SentenceTransformer.load(dir, { backend: 'onnx' })`: ONNX files exported by Python
 * (optimum, as sentence-transformers' backend="onnx" does; tools/parity/onnx/make_fixtures.py),
 * our own exported files, `onnxFile`, the encode-only contract, errors and leaks.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { CheckpointError, ConfigError } from '../errors.js';
import type { QuantizedRow } from '../quantization.js';
import { SentenceTransformer, type EncodeOptions } from '../sentence-transformer.js';
import { fixturesDir, maxAbsDiff, repoRoot } from '../test-utils/paths.js';
import { exportOnnxCli } from './export-onnx-cli.js';
import { exportOnnx } from './export-onnx.js';
import { loadOnnxRuntime, OnnxEncoder } from './onnx-session.js';

const TOL = 1e-5;
const ONNX_FIXTURES = path.join(repoRoot, 'tools/parity/fixtures/onnx');
const tmp = mkdtempSync(path.join(tmpdir(), 'sbert-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface PythonOnnxFixture {
  model_dir: string;
  expected_file: string;
  input_ids: number[][];
  lengths: number[];
  hidden: number;
  files: Record<string, { inputs: string[]; token_embeddings_f32_b64: string[] }>;
}
interface StExpected {
  texts: string[];
  encode: { sentence_embeddings: number[][] };
  encode_normalize_embeddings?: { sentence_embeddings: number[][] };
}

function b64f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** A copy of a fixture model with the given ONNX files in its onnx/ folder. */
function withOnnx(modelDir: string, files: Record<string, string>, name = path.basename(modelDir)): string {
  const dir = path.join(tmp, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(modelDir, dir, { recursive: true });
  mkdirSync(path.join(dir, 'onnx'));
  for (const [target, source] of Object.entries(files)) cpSync(source, path.join(dir, 'onnx', target));
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('graphs exported by Python (optimum): last_hidden_state only, our Pooling / Dense / Normalize after', () => {
  for (const name of ['tiny-multi-dense', 'roberta', 'mpnet', 'distilbert']) {
    it(`${name}: token embeddings equal onnxruntime-in-Python's, encode() equals sentence-transformers 6.2 within ${TOL}`, async () => {
      const fx = JSON.parse(readFileSync(path.join(ONNX_FIXTURES, `${name}.expected.json`), 'utf8')) as PythonOnnxFixture;
      const st = JSON.parse(readFileSync(path.join(repoRoot, fx.expected_file), 'utf8')) as StExpected;
      const files = { 'model.onnx': path.join(ONNX_FIXTURES, name, 'model.onnx'), 'model_qint8_avx512_vnni.onnx': path.join(ONNX_FIXTURES, name, 'model_qint8_avx512_vnni.onnx') };
      const dir = withOnnx(path.join(repoRoot, fx.model_dir), files, name);
      const before = tf.memory().numTensors;

      for (const file of Object.keys(files)) {
        const model = await SentenceTransformer.load(dir, { backend: 'onnx', ...(file === 'model.onnx' ? {} : { onnxFile: file }) });
        const batch = model.tokenize(st.texts);
        expect(st.texts.map((t) => Array.from(model.tokenize([t]).inputIds))).toEqual(fx.input_ids);
        // Run the same graph as Python did on the same batch.
        const session = await OnnxEncoder.create(path.join(dir, 'onnx', file));
        expect(session.wholePipeline).toBe(false);
        const { data, dims } = await session.run(batch);
        await session.release();
        const [, T, H] = dims as [number, number, number];
        expect(H).toBe(fx.hidden);
        const worstToken = Math.max(...fx.files[file]!.token_embeddings_f32_b64.map((b64, i) => maxAbsDiff(data.subarray(i * T * H, i * T * H + fx.lengths[i]! * H), b64f32(b64))));
        expect(worstToken, file).toBeLessThanOrEqual(TOL);

        const got = await model.encode(st.texts, { batchSize: 8 });
        if (file === 'model.onnx') {
          // The float graph + our modules against ST's PyTorch embeddings.
          expect(Math.max(...st.encode.sentence_embeddings.map((row, i) => maxAbsDiff(got[i]!, row)))).toBeLessThanOrEqual(TOL);
        } else {
          expect(got).toHaveLength(st.texts.length);
          expect(got.every((r) => r.every(Number.isFinite))).toBe(true);
        }
        model.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('our export on disk', () => {
  it('exportOnnx(model, dir) writes <dir>/onnx/model.onnx, which load(dir, { backend: onnx }) then uses', async () => {
    const dir = path.join(tmp, 'tiny-cls-normalize');
    cpSync(path.join(fixturesDir, 'models', 'tiny-cls-normalize'), dir, { recursive: true });
    const exp = JSON.parse(readFileSync(path.join(fixturesDir, 'models', 'tiny-cls-normalize.expected.json'), 'utf8')) as StExpected;
    const tfjs = await SentenceTransformer.load(dir);
    const before = tf.memory().numTensors;
    expect(await exportOnnx(tfjs, dir)).toBe(path.join(dir, 'onnx', 'model.onnx'));
    expect(await exportOnnx(tfjs, dir, { quantize: 'int8' })).toBe(path.join(dir, 'onnx', 'model_qint8.onnx'));
    expect(tf.memory().numTensors).toBe(before);
    tfjs.dispose();
    const onnx = await SentenceTransformer.load(dir, { backend: 'onnx' });
    const got = await onnx.encode(exp.texts, { batchSize: 8 });
    expect(Math.max(...exp.encode.sentence_embeddings.map((row, i) => maxAbsDiff(got[i]!, row)))).toBeLessThanOrEqual(TOL);
    onnx.dispose();
    const q = await SentenceTransformer.load(dir, { backend: 'onnx', onnxFile: 'model_qint8.onnx' });
    const gotQ = await q.encode(exp.texts, { batchSize: 8 });
    // Normalised rows of a tiny random model: int8 weights move them, but not far.
    expect(Math.min(...gotQ.map((r, i) => r.reduce((s, v, d) => s + v * got[i]![d]!, 0)))).toBeGreaterThan(0.95);
    q.dispose();
  });

  it('sbert-export-onnx writes the file and reports it; bad arguments exit with 2', async () => {
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) };
    const target = path.join(tmp, 'cli-out');
    expect(await exportOnnxCli([path.join(fixturesDir, 'models', 'tiny-mean'), target, '--quantize', 'int8'], io)).toBe(0);
    expect(existsSync(path.join(target, 'model_qint8.onnx'))).toBe(true);
    expect(out.join('')).toContain('model_qint8.onnx: Transformer → Pooling, sentence_embedding dimension 32, int8');
    out.length = 0;
    expect(await exportOnnxCli(['--quantize', 'int4', 'x'], io)).toBe(2);
    expect(out.join('')).toContain("--quantize: expected int8, got 'int4'");
    expect(await exportOnnxCli([], io)).toBe(2);
    expect(await exportOnnxCli([path.join(tmp, 'no-such-model')], io)).toBe(1);
  });
});

describe('encode-only contract, errors and leaks', () => {
  it('an ONNX model encodes with prompts, truncateDim, normalize, precision and batches like TF.js; training entry points throw', async () => {
    const dir = path.join(fixturesDir, 'models', 'tiny-multi-dense');
    const texts = ['a b c', 'x', 'longer text with more words in it', '', 'q r'];
    const tfjs = await SentenceTransformer.load(dir);
    const before = tf.memory().numTensors;
    const onnx = await SentenceTransformer.load(dir, { backend: 'onnx' });
    // The encoder's TF.js weights are freed once the session exists; only the head's remain.
    expect(tf.memory().numTensors - before).toBe(2);
    const options: EncodeOptions[] = [{ batchSize: 2 }, { batchSize: 3, prompt: 'query: ', truncateDim: 5, normalize: true }, { batchSize: 1, precision: 'int8' }, { precision: 'ubinary' }];
    for (const o of options) {
      const a = (await onnx.encode(texts, o)) as QuantizedRow[];
      const b = (await tfjs.encode(texts, o)) as QuantizedRow[];
      expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
      // Quantised rows may differ by one step where a float lands on a bucket boundary.
      if (o.precision) expect(Math.max(...a.map((r, i) => maxAbsDiff(r, b[i]!))), o.precision).toBeLessThanOrEqual(1);
      else expect(Math.max(...a.map((r, i) => maxAbsDiff(r, b[i]!)))).toBeLessThanOrEqual(TOL);
    }
    expect(await onnx.encode([])).toEqual([]);
    expect((await onnx.encode('one text')).length).toBe(24);
    const features = SentenceTransformer.toFeatures(onnx.tokenize(['a']));
    for (const call of [() => onnx.forward(features), () => onnx.embed(['a']), () => onnx.trainableWeights()]) {
      expect(call).toThrow(ConfigError);
      expect(call).toThrow(/loaded with backend 'onnx', which only encodes/);
    }
    tf.dispose([features.inputIds, features.attentionMask, features.tokenTypeIds!]);
    await expect(onnx.save(path.join(tmp, 'never'))).rejects.toThrow(/save\(\) needs the TensorFlow.js model/);
    await expect(exportOnnx(onnx, path.join(tmp, 'never.onnx'))).rejects.toThrow("ONNX export needs the TensorFlow.js model; this model was loaded with backend 'onnx'");
    expect(tfjs.runtime).toBe('tfjs');
    onnx.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(onnx.encode(['a'])).rejects.toThrow(/the ONNX session was released \(the model was disposed\)/);
    tfjs.dispose();
  });

  it('a missing onnxFile names the file and lists what onnx/ holds; nothing is exported in its place', async () => {
    const dir = withOnnx(path.join(fixturesDir, 'models', 'tiny-mean'), { 'model_O3.onnx': path.join(ONNX_FIXTURES, 'tiny-multi-dense', 'model.onnx') });
    const before = tf.memory().numTensors;
    const error = await rejection(SentenceTransformer.load(dir, { backend: 'onnx', onnxFile: 'model_qint8_avx512_vnni.onnx' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(path.join(dir, 'onnx', 'model_qint8_avx512_vnni.onnx'));
    expect(error.message).toContain(`${path.join(dir, 'onnx')} has model_O3.onnx`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a corrupt or foreign ONNX file gives a CheckpointError naming it, and leaks nothing', async () => {
    const dir = withOnnx(path.join(fixturesDir, 'models', 'tiny-mean'), {});
    const file = path.join(dir, 'onnx', 'model.onnx');
    const before = tf.memory().numTensors;
    const good = readFileSync(path.join(ONNX_FIXTURES, 'tiny-multi-dense', 'model.onnx'));
    for (const bytes of [Buffer.from('not a protobuf at all'), good.subarray(0, good.length >> 1), Buffer.alloc(0)]) {
      writeFileSync(file, bytes);
      const error = await rejection(SentenceTransformer.load(dir, { backend: 'onnx' }));
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).file).toBe(file);
      expect(error.message).toContain(`${file}: onnxruntime cannot load this ONNX model`);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a graph without the expected inputs or outputs is rejected with the names it has', async () => {
    // A valid ONNX model of the wrong kind: Identity from x to y.
    const { GraphBuilder, ONNX_TYPE } = await import('./graph-builder.js');
    const g = new GraphBuilder();
    g.input('x', ONNX_TYPE.FLOAT, ['n']);
    g.node('Identity', ['x'], {}, 'y');
    g.output('y', ONNX_TYPE.FLOAT, ['n']);
    const error = await rejection(OnnxEncoder.create(g.toBytes()));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe("<exported in memory>: the ONNX graph's inputs are [x]; expected input_ids and attention_mask (+ token_type_ids); missing input_ids, attention_mask; cannot feed x");
  });

  it('a missing onnxruntime-node is a ConfigError that says how to install it', async () => {
    const error = await rejection(loadOnnxRuntime('onnxruntime-node-not-installed'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("backend 'onnx' needs the optional peer dependency onnxruntime-node-not-installed, which is not installed: run `ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm i onnxruntime-node-not-installed`");
  });
});
