// ONNX backend of @sbert/core on all-MiniLM-L6-v2: Spearman (cosine) on the English STS-B test split
// (1,379 pairs) for the float export and the dynamic int8 export, and encode speed (sentences/s,
// batch 32, the 2,758 STS-B test sentences, best of two passes) of each, next to the TF.js path.
// Needs `pnpm build` (packages/core) and `pnpm fetch-models`.
//   node bench/onnx/int8-quality.bench.mjs [--no-tfjs] [--out bench/results/<date>-onnx-int8-quality.json]
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { SentenceTransformer, exportOnnx, initBackend } from '../../packages/core/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stsb = path.resolve(root, '..', 'shared/data/english-sts-b/stsbenchmark.tsv.gz');
const modelDir = path.join(root, '.cache/models/all-MiniLM-L6-v2');
const optimumDir = path.join(root, '.cache/models/all-MiniLM-L6-v2-onnx');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : path.join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-onnx-int8-quality.json`);
const withTfjs = !process.argv.includes('--no-tfjs');

// STS-B test pairs: split on TAB only (the file has literal quotes), CRLF line ends, score / 5.
const rows = gunzipSync(readFileSync(stsb)).toString('utf8').split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split('\t'));
const test = rows.filter((r) => r[0] === 'test');
const s1 = test.map((r) => r[6]);
const s2 = test.map((r) => r[7]);
const gold = test.map((r) => Number(r[5]) / 5);

function ranks(values) {
  const order = values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const r = new Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1; // average rank of ties
    i = j + 1;
  }
  return r;
}
function pearson(a, b) {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
  return ab / Math.sqrt(aa * bb);
}
const spearman = (a, b) => pearson(ranks(a), ranks(b));
const cosine = (a, b) => { let ab = 0, aa = 0, bb = 0; for (let d = 0; d < a.length; d++) { ab += a[d] * b[d]; aa += a[d] * a[d]; bb += b[d] * b[d]; } return ab / Math.sqrt(aa * bb); };

/** Loads, encodes the 2,758 sentences (batch 32) and scores them. */
async function run(label, load) {
  const t0 = performance.now();
  const model = await load();
  const loadSeconds = (performance.now() - t0) / 1000;
  await model.encode(s1.slice(0, 256), { batchSize: 32 }); // warm-up (onnxruntime plans memory per shape)
  // Two timed passes over all sentences (the machine may be shared): the faster one counts.
  let e1, e2;
  const passes = [];
  for (let pass = 0; pass < 2; pass++) {
    const t1 = performance.now();
    e1 = await model.encode(s1, { batchSize: 32 });
    e2 = await model.encode(s2, { batchSize: 32 });
    passes.push((performance.now() - t1) / 1000);
  }
  model.dispose();
  const seconds = Math.min(...passes);
  const scores = e1.map((a, i) => cosine(a, e2[i]));
  const result = { label, runtime: model.runtime, spearman_cosine: spearman(scores, gold), load_seconds: +loadSeconds.toFixed(2), encode_seconds_per_pass: passes.map((p) => +p.toFixed(2)), sentences_per_second: +((s1.length + s2.length) / seconds).toFixed(1) };
  console.log(JSON.stringify(result));
  return { result, embeddings: [...e1, ...e2] };
}

const loadAverageBefore = os.loadavg();
const backend = await initBackend();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'onnx-int8-bench-'));
const source = await SentenceTransformer.load(modelDir);
const floatFile = await exportOnnx(source, path.join(tmp, 'model.onnx'));
const int8File = await exportOnnx(source, path.join(tmp, 'model_qint8.onnx'), { quantize: 'int8' });
source.dispose();

const runs = [];
const f = await run('onnx float32 (our export)', () => SentenceTransformer.load(modelDir, { backend: 'onnx', onnxFile: floatFile }));
const q = await run('onnx int8 (our export, per-channel)', () => SentenceTransformer.load(modelDir, { backend: 'onnx', onnxFile: int8File }));
runs.push(f.result, q.result);
if (existsSync(path.join(optimumDir, 'onnx', 'model.onnx'))) {
  runs.push((await run("onnx float32 (optimum's export + our Pooling/Normalize)", () => SentenceTransformer.load(optimumDir, { backend: 'onnx' }))).result);
}
if (withTfjs) runs.push((await run(`tfjs ${backend.choice}`, () => SentenceTransformer.load(modelDir))).result);
const cos = f.embeddings.map((a, i) => cosine(a, q.embeddings[i]));

const require = createRequire(import.meta.url);
const record = {
  what: 'all-MiniLM-L6-v2 on the @sbert/core ONNX backend: Spearman (cosine) on STS-B test (1,379 pairs, score/5) and encode speed on its 2,758 sentences (batch 32), float32 vs dynamic int8',
  generated_by: 'node bench/onnx/int8-quality.bench.mjs',
  versions: { node: process.version, 'onnxruntime-node': require('../../packages/core/node_modules/onnxruntime-node/package.json').version },
  machine: { platform: `${os.type()} ${os.release()} ${os.arch()}`, cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
  // The machine may be shared: the 1-minute load average before and after the runs.
  load_average: { before: +loadAverageBefore[0].toFixed(2), after: +os.loadavg()[0].toFixed(2) },
  tfjs_backend: backend.choice,
  onnx_files: { float32_bytes: statSync(floatFile).size, int8_bytes: statSync(int8File).size },
  int8: { quantization: 'weights int8 symmetric per output channel (encoder Linear layers), activations uint8 dynamic (DynamicQuantizeLinear + MatMulInteger)', cosine_with_float_mean: cos.reduce((s, v) => s + v, 0) / cos.length, cosine_with_float_min: Math.min(...cos) },
  runs,
};
rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify(record, null, 1));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(record, null, 1) + '\n');
