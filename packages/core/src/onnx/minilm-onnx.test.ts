/**
 * The real all-MiniLM-L6-v2 through onnxruntime: our float export against sentence-transformers
 * 6.2's embeddings (tools/parity/fixtures/core/minilm-embeddings.json) and against TF.js, the
 * int8 export against the float one, and optimum's own export (when present) through our
 * Pooling / Normalize. A handful of sentences only, to keep the suite fast.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { cosine, fixturesDir, hasMiniLm, maxAbsDiff, miniLmDir, repoRoot } from '../test-utils/paths.js';
import { exportOnnx } from './export-onnx.js';

interface MiniLmFixture {
  texts: string[];
  dim: number;
  embeddings_f32_b64: string;
}

const N = 16;
const tmp = mkdtempSync(path.join(tmpdir(), 'sbert-minilm-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** optimum's export of the same model (tools/parity/onnx/export_minilm_onnx.py), if made. */
const optimumDir = path.join(repoRoot, '.cache/models/all-MiniLM-L6-v2-onnx');

function compare(got: Float32Array[], want: ArrayLike<number>[]): { cos: number; abs: number } {
  return {
    cos: Math.min(...got.map((r, i) => cosine(r, want[i]!))),
    abs: Math.max(...got.map((r, i) => maxAbsDiff(r, want[i]!))),
  };
}

describe.skipIf(!hasMiniLm && !process.env['CI'])('all-MiniLM-L6-v2 on the ONNX backend (run `pnpm fetch-models` first)', () => {
  const fixture = hasMiniLm ? (JSON.parse(readFileSync(path.join(fixturesDir, 'minilm-embeddings.json'), 'utf8')) as MiniLmFixture) : undefined;
  const texts = fixture?.texts.slice(0, N) ?? [];
  const python = (): Float32Array[] => {
    const buf = Buffer.from(fixture!.embeddings_f32_b64, 'base64');
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return texts.map((_, i) => all.subarray(i * fixture!.dim, (i + 1) * fixture!.dim));
  };

  it(`float export: cosine >= 0.99999 with sentence-transformers and with TF.js on ${N} sentences; int8 mean cosine > 0.98 with float`, async () => {
    await initBackend({ backend: 'wasm' });
    const tfjs = await SentenceTransformer.load(miniLmDir);
    const floatFile = await exportOnnx(tfjs, path.join(tmp, 'model.onnx'));
    const int8File = await exportOnnx(tfjs, path.join(tmp, 'model_qint8.onnx'), { quantize: 'int8' });
    const viaTfjs = await tfjs.encode(texts, { batchSize: 32 });
    tfjs.dispose();
    const before = tf.memory().numTensors;

    const onnx = await SentenceTransformer.load(miniLmDir, { backend: 'onnx', onnxFile: floatFile });
    const got = await onnx.encode(texts, { batchSize: 32 });
    onnx.dispose();
    const vsPython = compare(got, python());
    const vsTfjs = compare(got, viaTfjs);
    expect(vsPython.cos).toBeGreaterThanOrEqual(0.99999);
    expect(vsPython.abs).toBeLessThan(1e-5);
    expect(vsTfjs.cos).toBeGreaterThanOrEqual(0.99999);

    const int8 = await SentenceTransformer.load(miniLmDir, { backend: 'onnx', onnxFile: int8File });
    const q = await int8.encode(texts, { batchSize: 32 });
    int8.dispose();
    // Dynamic int8 costs MiniLM about 1% of cosine on average (onnxruntime's own quantize_dynamic,
    // per channel, gives the same: mean 0.986, min 0.972 on 64 fixture sentences).
    const vsFloat = compare(q, got);
    const meanCos = q.reduce((s, r, i) => s + cosine(r, got[i]!), 0) / q.length;
    expect(meanCos).toBeGreaterThan(0.98);
    expect(vsFloat.cos).toBeGreaterThan(0.96);
    expect(tf.memory().numTensors).toBe(before);
    console.log(`MiniLM ONNX: float vs Python cos ${vsPython.cos.toFixed(7)} max|Δ| ${vsPython.abs.toExponential(2)}; vs TF.js cos ${vsTfjs.cos.toFixed(7)} max|Δ| ${vsTfjs.abs.toExponential(2)}; int8 vs float mean cos ${meanCos.toFixed(5)}, min ${vsFloat.cos.toFixed(5)}`);
  }, 180_000);

  it.skipIf(!existsSync(path.join(optimumDir, 'onnx', 'model.onnx')))("optimum's export (last_hidden_state only) + our Pooling / Normalize: cosine >= 0.99999 with sentence-transformers", async () => {
    await initBackend({ backend: 'wasm' });
    const model = await SentenceTransformer.load(optimumDir, { backend: 'onnx' });
    const got = await model.encode(texts, { batchSize: 32 });
    model.dispose();
    const vsPython = compare(got, python());
    expect(vsPython.cos).toBeGreaterThanOrEqual(0.99999);
    expect(vsPython.abs).toBeLessThan(1e-5);
    console.log(`MiniLM optimum export + our head: vs Python cos ${vsPython.cos.toFixed(7)} max|Δ| ${vsPython.abs.toExponential(2)}`);
  }, 180_000);
});
