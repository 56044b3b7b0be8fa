#!/usr/bin/env node
// The @sbert benchmark suite (issue 9): encode and training throughput of @sbert (TensorFlow.js,
// wasm) and its peers (sentence-transformers on PyTorch CPU and on ONNX Runtime, transformers.js on
// onnxruntime-node, @sbert's ONNX backend when built) on the same work in the same run, with
// achieved GFLOP/s against the machine's measured matMul peak. Every case runs in its own child
// process (so peak RSS is per case). See bench/README.md.
//
//   pnpm bench                                   # full run → bench/results/<YYYY-MM-DD>-suite.json
//   pnpm bench -- --quick                        # harness check (2-3 min), written to the temp dir
//   node suite/run.mjs --only 'encode/stsb' --impl sbert,st-torch
//
// Options:
//   --quick            few sentences / steps and a subset of the cases (checks the harness)
//   --only <regex>     run only cases whose id matches (ids: encode/stsb/b32, train/tiny/mnrl, agreement/minilm, ...)
//   --impl <list>      comma-separated subset of sbert,sbert-2w,sbert-onnx,transformersjs,st-torch,st-onnx
//   --out <file>       where to write the JSON (default: bench/results/<date>-suite.json for a full run,
//                      the OS temp dir for --quick / --only / --impl runs)
//   --no-peak          skip the matMul peak measurements
//   --note <text>      free text recorded in the JSON (e.g. "shared 2-core machine")
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR, CORE_DIR, PATHS, REPO_ROOT, RESULT_MARK, SHAPES, SUITE_DIR,
  chunk, distribution, mean, median, npmVersion, quantile, readLcqmc, readStsb, shuffle, sum, uniqueSentences, usefulFlops,
} from './lib/common.mjs';

// ---- options ---------------------------------------------------------------------------------

const IMPLS = ['sbert', 'sbert-2w', 'sbert-onnx', 'transformersjs', 'st-torch', 'st-onnx'];
const IMPL_LABEL = {
  sbert: '@sbert (tfjs-wasm)',
  'sbert-2w': '@sbert (wasm, 2 workers)',
  'sbert-onnx': '@sbert (onnx)',
  transformersjs: 'transformers.js',
  'st-torch': 'ST torch',
  'st-onnx': 'ST onnx',
};

function parseArgs(argv) {
  const opts = { quick: false, only: undefined, impls: IMPLS, out: undefined, peak: true, note: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--') continue;
    else if (a === '--quick') opts.quick = true;
    else if (a === '--only') opts.only = new RegExp(value());
    else if (a.startsWith('--only=')) opts.only = new RegExp(a.slice(7));
    else if (a === '--impl' || a.startsWith('--impl=')) {
      const list = (a === '--impl' ? value() : a.slice(7)).split(',').map((s) => s.trim()).filter(Boolean);
      const bad = list.filter((s) => !IMPLS.includes(s));
      if (bad.length) throw new Error(`--impl: unknown ${bad.join(', ')}; expected some of ${IMPLS.join(', ')}`);
      opts.impls = list;
    } else if (a === '--out') opts.out = path.resolve(value());
    else if (a.startsWith('--out=')) opts.out = path.resolve(a.slice(6));
    else if (a === '--no-peak') opts.peak = false;
    else if (a === '--note') opts.note = value();
    else if (a === '--help' || a === '-h') {
      const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
      const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
      process.stdout.write(`${header.map((l) => l.slice(3)).join('\n')}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(2);
}
const partial = opts.quick || opts.only !== undefined || opts.impls.length !== IMPLS.length || !opts.peak;

/** Work sizes. Full: about 10-15 minutes on 2 cores for the 5 implementations. */
const SIZES = opts.quick
  ? {
      encode: { 1: 6, 32: 64, 128: 128 },
      tok32: { 1: 6, 32: 64, 128: 128 },
      warmup: { 1: 2, 32: 1, 128: 1 },
      batchSizes: { stsb: [32], lcqmc: [], tok32: [1], stsb32: [] },
      trainSteps: { minilm: 2, tiny: 3 },
      trainCases: ['train/tiny/cosent', 'train/tiny/mnrl'],
      agreementTexts: 16,
      peak: { size: 512, warmup: 1, reps: 2 },
      peakTwice: false,
      timeoutS: 120,
    }
  : {
      encode: { 1: 40, 32: 320, 128: 384 },
      tok32: { 1: 32, 32: 192, 128: 256 },
      warmup: { 1: 4, 32: 1, 128: 1 },
      batchSizes: { stsb: [1, 32, 128], lcqmc: [1, 32, 128], tok32: [1, 32, 128], stsb32: [32, 128] },
      trainSteps: { minilm: 5, tiny: 8 },
      trainCases: ['train/minilm/cosent', 'train/minilm/cosent/32tok', 'train/minilm/mnrl', 'train/tiny/cosent', 'train/tiny/mnrl'],
      agreementTexts: 64,
      peak: { size: 1024, warmup: 1, reps: 5 },
      // Measured at the start and at the end; the best of both is the peak (the machine may be shared).
      peakTwice: true,
      timeoutS: 600,
    };
const ENCODE_MAX_SEQ = 128;
const TRAIN = { pairs: 32, maxSeqLength: 32, lr: 2e-5, weightDecay: 0.01, maxGradNorm: 1, warmup: 1 };
const SEED = 20261123;

// ---- environment -------------------------------------------------------------------------------

const rel = (p) => path.relative(REPO_ROOT, p) || '.';
const hasMiniLM = existsSync(path.join(PATHS.minilm, 'model.safetensors')) || existsSync(path.join(PATHS.minilm, 'pytorch_model.bin'));
const hasOnnxModel = existsSync(path.join(PATHS.minilmOnnx, 'onnx', 'model.onnx'));
const noMiniLM = `${rel(PATHS.minilm)} is missing: run \`pnpm fetch-models\``;
const noOnnxModel = `${rel(PATHS.minilmOnnx)}/onnx/model.onnx is missing: run \`${rel(PATHS.pythonOnnxVenv)} tools/parity/onnx/export_minilm_onnx.py\``;

/** Why an implementation cannot run at all here (undefined: it can). */
function envProblem(impl) {
  if (!hasMiniLM) return noMiniLM;
  switch (impl) {
    case 'sbert':
    case 'sbert-2w':
      return existsSync(path.join(CORE_DIR, 'dist', 'index.js')) ? undefined : 'packages/core/dist is missing: run `pnpm build`';
    case 'sbert-onnx':
      if (!existsSync(path.join(CORE_DIR, 'dist', 'index.js'))) return 'packages/core/dist is missing: run `pnpm build`';
      return npmVersion('onnxruntime-node') ? undefined : 'onnxruntime-node is not installed in bench/';
    case 'transformersjs':
      if (!npmVersion('@huggingface/transformers')) return '@huggingface/transformers is not installed in bench/';
      return hasOnnxModel ? undefined : noOnnxModel;
    case 'st-torch':
      return existsSync(PATHS.pythonVenv) ? undefined : `${rel(PATHS.pythonVenv)} is missing: create tools/parity/.venv (tools/parity/README.md)`;
    case 'st-onnx':
      if (!existsSync(PATHS.pythonOnnxVenv)) return `${rel(PATHS.pythonOnnxVenv)} is missing: create it from tools/parity/requirements-onnx.txt (bench/README.md)`;
      return hasOnnxModel ? undefined : noOnnxModel;
    default:
      return `unknown implementation ${impl}`;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    available_parallelism: os.availableParallelism?.() ?? cpus.length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

function nodeVersions() {
  const transformersDir = (() => {
    try {
      return path.dirname(path.dirname(new URL(import.meta.resolve('@huggingface/transformers')).pathname));
    } catch {
      return undefined;
    }
  })();
  return {
    node: process.version,
    '@tensorflow/tfjs': npmVersion('@tensorflow/tfjs', CORE_DIR),
    '@tensorflow/tfjs-backend-wasm': npmVersion('@tensorflow/tfjs-backend-wasm', CORE_DIR),
    '@sbert/core': npmVersion('@sbert/core'),
    '@sbert/losses': npmVersion('@sbert/losses'),
    '@sbert/trainer': JSON.parse(readFileSync(path.join(REPO_ROOT, 'apps', 'trainer', 'package.json'), 'utf8')).version,
    '@huggingface/transformers': npmVersion('@huggingface/transformers'),
    'onnxruntime-node': npmVersion('onnxruntime-node'),
    'onnxruntime-node (transformers.js)': transformersDir ? npmVersion('onnxruntime-node', transformersDir) : undefined,
  };
}

// ---- workloads ---------------------------------------------------------------------------------

/** Token count (special tokens included, no truncation) of each sentence, with @sbert's tokenizer (= the HF tokenizer of MiniLM). */
async function tokenCounter() {
  const { SentenceTokenizer } = await import('@sbert/core');
  const tok = await SentenceTokenizer.fromDirectory(PATHS.minilm, { maxSeqLength: 1_000_000 });
  return (text) => tok.countTokens(text);
}

function encodeWorkload(name, source, sentences, count, maxSeqLength, sizes) {
  if (Object.keys(sizes).length === 0) return undefined;
  const maxN = Math.max(...Object.values(sizes));
  const sample = shuffle(sentences, SEED + name.length).slice(0, maxN);
  const lengths = new Map(sample.map((s) => [s, count(s)]));
  const byBatch = {};
  for (const [b, n] of Object.entries(sizes)) {
    // sentence-transformers' encode order: longest first (characters), then consecutive batches.
    const texts = sample.slice(0, n).map((s, i) => [s, i]).sort((x, y) => [...y[0]].length - [...x[0]].length || x[1] - y[1]).map(([s]) => s);
    const batches = chunk(texts, Number(b));
    const padded = batches.map((bt) => Math.min(maxSeqLength, Math.max(...bt.map((s) => lengths.get(s)))));
    const real = batches.map((bt) => sum(bt.map((s) => Math.min(maxSeqLength, lengths.get(s)))));
    byBatch[b] = {
      batches,
      padded_lengths: padded,
      real_tokens: sum(real),
      padded_tokens: sum(batches.map((bt, i) => bt.length * padded[i])),
      flops: batches.map((bt) => usefulFlops(SHAPES.minilm, bt.map((s) => Math.min(maxSeqLength, lengths.get(s))))),
    };
  }
  const all = sample.map((s) => lengths.get(s));
  return {
    name,
    source,
    max_seq_length: maxSeqLength,
    sentences_sampled: sample.length,
    selection: `unique sentences shuffled with xorshift32 seed ${SEED + name.length}, first ${maxN}; batch size b uses the first N_b, sorted longest first (characters) as sentence-transformers' encode does, in consecutive batches`,
    token_lengths: distribution(all),
    truncated: all.filter((l) => l > maxSeqLength).length,
    byBatch,
  };
}

/**
 * Training batches of STS-B pairs. `variant` '32tok': pairs whose sentences both have at least
 * max_seq_length tokens (any split), so every column is exactly 32 pairs x 32 tokens with no
 * padding: the worst case of the issue's target, where skipping padding saves nothing.
 */
function trainWorkload(rows, count, steps, loss, variant) {
  const train = rows.filter((r) => r.split === 'train');
  const pool = variant === '32tok'
    ? rows.filter((r) => count(r.s1) >= TRAIN.maxSeqLength && count(r.s2) >= TRAIN.maxSeqLength)
    : loss === 'mnrl' ? train.filter((r) => r.score >= 4) : train;
  const picked = shuffle(pool, SEED + (loss === 'mnrl' ? 7 : 3)).slice(0, steps * TRAIN.pairs);
  return chunk(picked, TRAIN.pairs).filter((batch) => batch.length === TRAIN.pairs).map((batch) => {
    const columns = [batch.map((r) => r.s1), batch.map((r) => r.s2)];
    const lengths = columns.map((c) => c.map((s) => Math.min(TRAIN.maxSeqLength, count(s))));
    return {
      columns,
      labels: loss === 'cosent' ? batch.map((r) => r.score / 5) : null,
      padded_lengths: lengths.map((l) => Math.max(...l)),
      real_lengths: lengths,
    };
  });
}

/** Numbers anywhere in a JSON value rounded to 0.1 (timings in ms). */
function roundDeep(v) {
  if (typeof v === 'number') return Math.round(v * 10) / 10;
  if (Array.isArray(v)) return v.map(roundDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x)]));
  return v;
}

// ---- child processes ---------------------------------------------------------------------------

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sbert-bench-'));
let specCounter = 0;

function command(impl, kind) {
  const node = (file) => [process.execPath, [path.join(SUITE_DIR, 'cases', file)]];
  const py = (venv, file) => [venv, [path.join(SUITE_DIR, 'python', file)]];
  if (impl === 'sbert' || impl === 'sbert-2w') return node('sbert.mjs');
  if (impl === 'sbert-onnx') return node('sbert-onnx.mjs');
  if (impl === 'transformersjs') return node('transformersjs.mjs');
  if (impl === 'st-torch') return py(PATHS.pythonVenv, kind === 'train' ? 'st_train.py' : kind === 'peak' ? 'peak.py' : 'st_encode.py');
  if (impl === 'st-onnx') return py(PATHS.pythonOnnxVenv, 'st_encode.py');
  throw new Error(`no command for ${impl}`);
}

function runChild(impl, spec) {
  const file = path.join(tmp, `spec-${++specCounter}.json`);
  writeFileSync(file, JSON.stringify(spec));
  if (process.env.SBERT_BENCH_KEEP_SPEC) writeFileSync(process.env.SBERT_BENCH_KEEP_SPEC, JSON.stringify(spec));
  const [cmd, args] = command(impl, spec.kind);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args, file], {
      cwd: BENCH_DIR,
      env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', PYTHONDONTWRITEBYTECODE: '1', TOKENIZERS_PARALLELISM: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), SIZES.timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wall_s = (Date.now() - started) / 1000;
      const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_MARK));
      const tail = stderr.trim().split('\n').slice(-12).join('\n');
      if (signal === 'SIGKILL') return resolve({ status: 'failed', reason: `timed out after ${SIZES.timeoutS} s`, wall_s, stderr_tail: tail });
      if (!line) return resolve({ status: 'failed', reason: `exit ${code ?? signal} without a result line`, wall_s, stderr_tail: tail });
      const result = JSON.parse(line.slice(RESULT_MARK.length));
      if (code !== 0 && result.status === 'ok') return resolve({ ...result, status: 'failed', reason: `exit ${code} after its result`, wall_s, stderr_tail: tail });
      resolve({ ...result, wall_s });
    });
  });
}

// ---- plan ----------------------------------------------------------------------------------------

const machine = machineInfo();
const loadStart = os.loadavg();
const suiteStarted = Date.now();
const log = (line) => process.stderr.write(`${line}\n`);
log(`sbert bench suite${opts.quick ? ' (--quick)' : ''}: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, ${machine.os}, node ${machine.node}`);

const workloads = {};
const plan = [];
if (hasMiniLM) {
  const count = await tokenCounter();
  const stsbRows = readStsb();
  const stsbSentences = uniqueSentences(stsbRows);
  const lcqmcSentences = uniqueSentences(readLcqmc());
  const pick = (sizes, list) => Object.fromEntries(list.map((b) => [b, sizes[b]]));
  workloads.stsb = encodeWorkload('stsb', 'shared/data/english-sts-b/stsbenchmark.tsv.gz (all splits, unique sentences)', stsbSentences, count, ENCODE_MAX_SEQ, pick(SIZES.encode, SIZES.batchSizes.stsb));
  workloads.lcqmc = encodeWorkload('lcqmc', 'shared/data/lcqmc/dev.txt (unique sentences, Chinese: ~1 token per character with the MiniLM vocabulary)', lcqmcSentences, count, ENCODE_MAX_SEQ, pick(SIZES.encode, SIZES.batchSizes.lcqmc));
  // Real sentences at <= 32 tokens (the issue's encode target): STS-B truncated to 32 tokens.
  workloads.stsb32 = encodeWorkload('stsb32', 'shared/data/english-sts-b/stsbenchmark.tsv.gz (all splits, unique sentences), max_seq_length 32', stsbSentences, count, 32, pick(SIZES.encode, SIZES.batchSizes.stsb32));
  const long = stsbSentences.filter((s) => count(s) >= 32);
  workloads.tok32 = encodeWorkload('tok32', 'STS-B sentences of >= 32 tokens, truncated to max_seq_length 32 (fixed shape B x 32)', long, count, 32, pick(SIZES.tok32, SIZES.batchSizes.tok32));

  for (const [w, wl] of Object.entries(workloads)) {
    if (!wl) {
      delete workloads[w];
      continue;
    }
    for (const b of Object.keys(wl.byBatch)) {
      const id = `encode/${w === 'tok32' ? '32tok' : w}/b${b}`;
      for (const impl of ['sbert', 'sbert-2w', 'sbert-onnx', 'transformersjs', 'st-torch', 'st-onnx']) {
        // Batch 1 is a latency case: a pool does not make one sentence faster.
        if (impl === 'sbert-2w' && b === '1') continue;
        const modelDir = impl === 'sbert' || impl === 'sbert-2w' || impl === 'sbert-onnx' || impl === 'st-torch' ? PATHS.minilm : PATHS.minilmOnnx;
        plan.push({
          id, impl, kind: 'encode', workload: w, batchSize: Number(b),
          spec: { kind: 'encode', modelDir, ...(impl === 'sbert-2w' ? { workers: 2 } : {}), maxSeqLength: wl.max_seq_length, batchSize: Number(b), batches: wl.byBatch[b].batches, warmup: Math.min(SIZES.warmup[b], wl.byBatch[b].batches.length), ...(impl === 'st-onnx' ? { backend: 'onnx' } : {}) },
        });
      }
    }
  }
  // Embedding agreement with @sbert on real sentences (half STS-B, half LCQMC), max_seq_length 128.
  const half = SIZES.agreementTexts / 2;
  const agreementTexts = [...shuffle(stsbSentences, SEED + 1).slice(0, half), ...shuffle(lcqmcSentences, SEED + 2).slice(0, half)];
  for (const impl of IMPLS.filter((i) => i !== 'sbert-2w')) {
    const modelDir = impl === 'sbert' || impl === 'sbert-onnx' || impl === 'st-torch' ? PATHS.minilm : PATHS.minilmOnnx;
    plan.push({
      id: 'agreement/minilm', impl, kind: 'agreement',
      spec: { kind: 'agreement', modelDir, maxSeqLength: ENCODE_MAX_SEQ, texts: agreementTexts, out: path.join(tmp, `agreement-${impl}.json`), ...(impl === 'st-onnx' ? { backend: 'onnx' } : {}) },
    });
  }
  for (const id of SIZES.trainCases) {
    const [, shape, loss, variant] = id.split('/');
    const steps = trainWorkload(stsbRows, count, SIZES.trainSteps[shape], loss, variant);
    const name = [shape, loss, variant].filter(Boolean).join('-');
    workloads[name] = {
      name,
      source: variant === '32tok'
        ? 'STS-B pairs (all splits) whose sentences both have >= 32 tokens, label = score / 5: every column 32 x 32 tokens, no padding'
        : loss === 'mnrl' ? 'STS-B train pairs with score >= 4 as (anchor, positive)' : 'STS-B train pairs, label = score / 5',
      pairs_per_step: TRAIN.pairs,
      max_seq_length: TRAIN.maxSeqLength,
      steps: steps.length,
      padded_lengths: steps.map((s) => s.padded_lengths),
      real_tokens: sum(steps.map((s) => sum(s.real_lengths.flat()))),
      padded_tokens: sum(steps.map((s) => sum(s.padded_lengths) * TRAIN.pairs)),
    };
    for (const impl of ['sbert', 'sbert-2w', 'st-torch']) {
      plan.push({
        id, impl, kind: 'train', shape, loss, steps,
        spec: {
          kind: 'train', shape, ...(impl === 'sbert-2w' ? { workers: 2 } : {}), loss, modelDir: PATHS.minilm, tinyShape: SHAPES.tiny, maxSeqLength: TRAIN.maxSeqLength,
          steps: steps.map(({ columns, labels }) => ({ columns, labels })), warmup: TRAIN.warmup,
          lr: TRAIN.lr, weightDecay: TRAIN.weightDecay, maxGradNorm: TRAIN.maxGradNorm,
        },
      });
    }
  }
}
if (!hasMiniLM) {
  // Nothing can run without the model: list every case family as skipped, with the reason.
  for (const impl of IMPLS) {
    for (const id of ['encode/*', 'agreement/minilm', ...(impl === 'sbert' || impl === 'sbert-2w' || impl === 'st-torch' ? ['train/*'] : [])]) plan.push({ id, impl, kind: id.split('/')[0] });
  }
}
const peakSpec = { kind: 'peak', size: SIZES.peak.size, warmup: SIZES.peak.warmup, reps: SIZES.peak.reps };
const peakPlan = opts.peak
  ? [
      { id: 'peak/tfjs-wasm', impl: 'sbert', kind: 'peak', spec: peakSpec },
      { id: 'peak/ort-node', impl: 'transformersjs', kind: 'peak', spec: { ...peakSpec, threads: [0, 1] } },
      { id: 'peak/torch-numpy-ort', impl: 'st-torch', kind: 'peak', spec: peakSpec },
    ]
  : [];

const selected = plan.filter((c) => opts.impls.includes(c.impl) && (!opts.only || opts.only.test(c.id)));
const peakPlanEnd = SIZES.peakTwice ? peakPlan.map((c) => ({ ...c, id: `${c.id}@end` })) : [];
const cases = [...peakPlan, ...selected, ...peakPlanEnd];

// ---- run ------------------------------------------------------------------------------------------

const results = [];
const embeddingCache = new Map(); // agreement embeddings, read before the temp dir goes
for (const [i, c] of cases.entries()) {
  const problem = c.kind !== 'peak'
    ? envProblem(c.impl)
    : c.impl === 'st-torch' && !existsSync(PATHS.pythonVenv)
      ? `${rel(PATHS.pythonVenv)} is missing`
      : c.impl === 'sbert' && !existsSync(path.join(CORE_DIR, 'dist', 'index.js'))
        ? 'packages/core/dist is missing: run `pnpm build`'
        : undefined;
  const head = `[${String(i + 1).padStart(3)}/${cases.length}] ${c.id.padEnd(22)} ${c.impl.padEnd(15)}`;
  if (problem) {
    results.push({ ...c, result: { status: 'skipped', reason: problem } });
    log(`${head} skipped: ${problem}`);
    continue;
  }
  const load = os.loadavg()[0];
  const result = { ...(await runChild(c.impl, c.spec)), load_average_1m_before: round(load, 2) };
  if (c.kind === 'agreement' && result.status === 'ok') embeddingCache.set(c.spec.out, JSON.parse(readFileSync(c.spec.out, 'utf8')));
  results.push({ ...c, result });
  const summary = result.status === 'ok'
    ? quickSummary(c, result)
    : `${result.status}: ${result.reason}${result.stderr_tail ? `\n      ${result.stderr_tail.split('\n').join('\n      ')}` : ''}`;
  log(`${head} ${result.wall_s?.toFixed(1).padStart(6) ?? ''} s  ${summary}`);
}
rmSync(tmp, { recursive: true, force: true });

function quickSummary(c, r) {
  if (c.kind === 'encode') return `${(sum(c.spec.batches.map((b) => b.length)) / (sum(r.latencies_ms) / 1000)).toFixed(1)} sentences/s`;
  if (c.kind === 'train') return `${(TRAIN.pairs / r.median_step_seconds).toFixed(1)} pairs/s`;
  if (c.kind === 'peak') return r.peaks.map((p) => (p.gflops_best ? `${p.name} ${p.gflops_best.toFixed(1)}` : `${p.name} skipped`)).join(', ') + ' GFLOP/s';
  return 'ok';
}

// ---- derived numbers ------------------------------------------------------------------------------

const peakRuns = results.filter((r) => r.kind === 'peak' && r.result.status === 'ok').flatMap((r) => r.result.peaks.map((p) => ({ ...p, when: r.id.endsWith('@end') ? 'end' : 'start' }))).filter((p) => p.gflops_best);
/** Per engine, the better of the start and end measurements (the other is kept as `other_gflops_best`). */
const peaks = Object.values(peakRuns.reduce((acc, p) => {
  const prev = acc[p.name];
  if (!prev) acc[p.name] = p;
  else if (p.gflops_best > prev.gflops_best) acc[p.name] = { ...p, other_gflops_best: prev.gflops_best };
  else acc[p.name] = { ...prev, other_gflops_best: p.gflops_best };
  return acc;
}, {}));
const allCorePeaks = peaks.filter((p) => !/-1t$/.test(p.name) && p.name !== 'tfjs-wasm');
const machinePeak = allCorePeaks.length ? allCorePeaks.reduce((a, b) => (b.gflops_best > a.gflops_best ? b : a)) : undefined;
const peakByName = Object.fromEntries(peaks.map((p) => [p.name, p]));
// Two workers run two independent single-thread wasm engines: their peak is twice one's.
if (peakByName['tfjs-wasm']) {
  const one = peakByName['tfjs-wasm'];
  peakByName['tfjs-wasm-x2'] = { name: 'tfjs-wasm-x2', engine: '2 x TF.js wasm matMul (one per worker thread; derived, not measured)', gflops_best: 2 * one.gflops_best };
}
const ENGINE_PEAK = { sbert: 'tfjs-wasm', 'sbert-2w': 'tfjs-wasm-x2', 'sbert-onnx': 'ort-node', transformersjs: 'ort-node', 'st-torch': 'torch', 'st-onnx': 'ort-python' };

const rows = [];
for (const r of results) {
  if (r.kind === 'peak') continue;
  const row = { id: r.id, impl: r.impl, kind: r.kind, status: r.result.status };
  if (r.result.status !== 'ok') {
    row.reason = r.result.reason;
    if (r.result.stderr_tail) row.stderr_tail = r.result.stderr_tail;
    rows.push(row);
    continue;
  }
  const res = r.result;
  row.max_rss_mb = round(res.max_rss_mb, 1);
  row.backend = res.backend;
  if (res.versions) row.versions = res.versions;
  row.process_wall_s = round(res.wall_s, 2);
  row.load_average_1m_before = res.load_average_1m_before;
  let flops;
  let seconds;
  if (r.kind === 'encode') {
    const wl = workloads[r.workload].byBatch[r.batchSize];
    const sentences = sum(r.spec.batches.map((b) => b.length));
    seconds = sum(res.latencies_ms) / 1000;
    flops = sum(wl.flops);
    Object.assign(row, {
      batch_size: r.batchSize,
      max_seq_length: r.spec.maxSeqLength,
      batches: r.spec.batches.length,
      warmup_batches: r.spec.warmup,
      sentences,
      seconds: round(seconds, 4),
      sentences_per_s: round(sentences / seconds, 2),
      latency_ms: { p50: round(median(res.latencies_ms), 2), p90: round(quantile(res.latencies_ms, 0.9), 2), mean: round(mean(res.latencies_ms), 2) },
      latencies_ms: res.latencies_ms.map((x) => round(x, 2)),
      mean_padded_length: round(mean(wl.padded_lengths), 2),
      padded_tokens: wl.padded_tokens,
      ...(res.padded_tokens !== undefined && res.padded_tokens !== wl.padded_tokens ? { padded_tokens_seen: res.padded_tokens, padded_tokens_mismatch: true } : {}),
    });
  } else if (r.kind === 'train') {
    const shape = SHAPES[r.shape];
    const stepFlops = r.steps.map((s) => 3 * sum(s.real_lengths.map((lengths) => usefulFlops(shape, lengths))));
    const timed = stepFlops.slice(TRAIN.warmup);
    seconds = sum(res.step_seconds);
    flops = sum(timed);
    Object.assign(row, {
      shape: r.shape,
      loss: r.loss === 'cosent' ? 'CoSENTLoss' : 'MultipleNegativesRankingLoss',
      pairs_per_step: TRAIN.pairs,
      max_seq_length: TRAIN.maxSeqLength,
      timed_steps: res.step_seconds.length,
      warmup_steps: TRAIN.warmup,
      seconds_per_step: round(res.median_step_seconds, 4),
      step_seconds: res.step_seconds.map((x) => round(x, 4)),
      pairs_per_s: round(TRAIN.pairs / res.median_step_seconds, 2),
      losses: res.losses.map((x) => round(x, 5)),
      parameters: res.parameters,
      padded_lengths: r.steps.map((s) => s.padded_lengths),
      real_tokens: sum(r.steps.slice(TRAIN.warmup).map((s) => sum(s.real_lengths.flat()))),
      padded_tokens: sum(r.steps.slice(TRAIN.warmup).map((s) => sum(s.padded_lengths) * TRAIN.pairs)),
      ...(res.step_breakdown_ms ? { step_breakdown_ms: roundDeep(res.step_breakdown_ms) } : {}),
      ...(res.padded_lengths && JSON.stringify(res.padded_lengths) !== JSON.stringify(r.steps.map((s) => s.padded_lengths)) ? { padded_lengths_seen: res.padded_lengths, padded_lengths_mismatch: true } : {}),
    });
  } else if (r.kind === 'agreement') {
    row.rows = res.rows;
    if (res.pipeline_call_max_abs_diff !== undefined) row.pipeline_call_max_abs_diff = res.pipeline_call_max_abs_diff;
  }
  if (flops !== undefined) {
    row.gflop = round(flops / 1e9, 3);
    row.gflops = round(flops / seconds / 1e9, 2);
    if (machinePeak) row.pct_machine_peak = round((100 * row.gflops) / machinePeak.gflops_best, 1);
    const own = peakByName[ENGINE_PEAK[r.impl]] ?? (r.impl === 'st-onnx' ? peakByName['ort-node'] : undefined);
    if (own) {
      row.engine_peak = own.name;
      row.pct_engine_peak = round((100 * row.gflops) / own.gflops_best, 1);
    }
  }
  rows.push(row);
}

// Ratios against @sbert (tfjs-wasm) on the same case: throughput of the implementation / @sbert's.
for (const row of rows) {
  if (row.status !== 'ok' || row.kind === 'agreement') continue;
  const base = rows.find((x) => x.id === row.id && x.impl === 'sbert' && x.status === 'ok');
  if (!base) continue;
  const key = row.kind === 'encode' ? 'sentences_per_s' : 'pairs_per_s';
  row.throughput_vs_sbert = round(row[key] / base[key], 3);
}

// Embedding agreement: cosine of each implementation's embeddings with @sbert's, row by row.
const agreement = [];
const sbertAgreement = results.find((r) => r.kind === 'agreement' && r.impl === 'sbert' && r.result.status === 'ok');
for (const row of rows.filter((x) => x.kind === 'agreement')) {
  if (row.status !== 'ok' || row.impl === 'sbert') {
    if (row.status !== 'ok') agreement.push({ impl: row.impl, status: row.status, reason: row.reason });
    continue;
  }
  if (!sbertAgreement) {
    agreement.push({ impl: row.impl, status: 'not checked', reason: '@sbert did not run' });
    continue;
  }
  agreement.push({ impl: row.impl, status: 'ok', ...cosines(sbertAgreement.spec.out, results.find((r) => r.id === row.id && r.impl === row.impl).spec.out) });
}
function cosines(fileA, fileB) {
  const a = embeddingCache.get(fileA);
  const b = embeddingCache.get(fileB);
  const cos = a.map((x, i) => {
    const y = b[i];
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let j = 0; j < x.length; j++) {
      dot += x[j] * y[j];
      nx += x[j] * x[j];
      ny += y[j] * y[j];
    }
    return dot / Math.sqrt(nx * ny);
  });
  const maxAbs = Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));
  return { rows: cos.length, min_cosine: Math.min(...cos), mean_cosine: mean(cos), max_abs_diff: maxAbs, pass: Math.min(...cos) > 0.9999, threshold: 0.9999 };
}

function round(x, digits) {
  if (x === undefined || x === null || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---- record ---------------------------------------------------------------------------------------

const pythonVersions = {};
for (const r of results) {
  if (r.result.status !== 'ok' || !r.result.versions) continue;
  const key = r.impl === 'st-onnx' ? 'st-onnx (tools/parity/.venv-onnx)' : 'st-torch (tools/parity/.venv)';
  pythonVersions[key] = { ...(pythonVersions[key] ?? {}), ...Object.fromEntries(Object.entries(r.result.versions).filter(([, v]) => v !== null)) };
}
let onnxExport;
try {
  onnxExport = JSON.parse(readFileSync(path.join(PATHS.minilmOnnx, 'export_info.json'), 'utf8'));
} catch {
  onnxExport = undefined;
}

const implementations = {};
for (const impl of IMPLS) {
  const mine = results.filter((r) => r.impl === impl && r.kind !== 'peak');
  const ok = mine.filter((r) => r.result.status === 'ok');
  const first = ok[0]?.result;
  const reasons = [...new Set(mine.filter((r) => r.result.status !== 'ok').map((r) => `${r.result.status}: ${r.result.reason}`))];
  implementations[impl] = {
    label: IMPL_LABEL[impl],
    selected: opts.impls.includes(impl),
    cases_run: ok.length,
    cases_not_run: mine.length - ok.length,
    ...(reasons.length ? { reasons } : {}),
    ...(first?.backend ? { backend: first.backend } : {}),
    kinds: impl === 'sbert' || impl === 'st-torch' ? ['encode', 'agreement', 'train'] : impl === 'sbert-2w' ? ['encode', 'train'] : ['encode', 'agreement'],
  };
}

// Issue 9's encode target: >= 100 sentences/s at <= 32 tokens (the fixed-shape 32-token cases).
const targets = rows
  .filter((r) => r.status === 'ok' && r.kind === 'encode' && (r.id.startsWith('encode/32tok/') || r.id.startsWith('encode/stsb32/')) && r.impl.startsWith('sbert'))
  .map((r) => ({ case: r.id, impl: r.impl, sentences_per_s: r.sentences_per_s, target: 100, met: r.sentences_per_s >= 100 }));
// ... and a MiniLM training step of 32 pairs x 32 tokens with CoSENT in <= 5 s.
const trainTargets = rows
  .filter((r) => r.status === 'ok' && r.id.startsWith('train/minilm/cosent') && r.impl.startsWith('sbert'))
  .map((r) => ({ case: r.id, impl: r.impl, seconds_per_step: r.seconds_per_step, target: 5, met: r.seconds_per_step <= 5 }));

const date = new Date().toISOString().slice(0, 10);
const outFile = opts.out ?? (partial ? path.join(os.tmpdir(), `sbert-bench-${date}-suite-partial.json`) : path.join(PATHS.resultsDir, `${date}-suite.json`));
const record = {
  what: 'sbert benchmark suite (issue 9): encode / training throughput of @sbert vs sentence-transformers (PyTorch, ONNX) and transformers.js, same work in the same run',
  generated_by: `node bench/suite/run.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  date: new Date().toISOString(),
  quick: opts.quick,
  partial,
  ...(opts.note ? { note: opts.note } : {}),
  seconds: round((Date.now() - suiteStarted) / 1000, 1),
  machine: { ...machine, load_average_start: loadStart.map((x) => round(x, 2)), load_average_end: os.loadavg().map((x) => round(x, 2)) },
  versions: { ...nodeVersions(), python: pythonVersions },
  backend: implementations.sbert?.backend ?? null,
  model: { name: 'all-MiniLM-L6-v2', dir: rel(PATHS.minilm), onnx_dir: rel(PATHS.minilmOnnx), onnx_export: onnxExport ?? null, shapes: SHAPES },
  flops: 'useful work: forward per sequence of real length l (truncated at max_seq_length, padding not counted): layers * (2*l*(4h^2 + 2hI) + 4*l^2*h); training step = 3 x forward of both columns; lengths from the MiniLM tokenizer. Implementations that compute on padding do more work than this; @sbert skips padding in its per-token layers',
  ratio: 'throughput_vs_sbert = throughput of the implementation / throughput of @sbert (tfjs-wasm) on the same case (> 1: faster than @sbert)',
  implementations,
  peaks: { machine_peak: machinePeak ? { name: machinePeak.name, gflops: round(machinePeak.gflops_best, 2) } : null, measured: peakRuns.map((p) => ({ ...p, gflops_best: round(p.gflops_best, 2), gflops_median: round(p.gflops_median, 2), seconds: p.seconds.map((x) => round(x, 5)) })) },
  workloads: Object.fromEntries(Object.entries(workloads).map(([k, w]) => [k, w.byBatch
    ? {
        name: w.name, source: w.source, selection: w.selection, max_seq_length: w.max_seq_length, sentences_sampled: w.sentences_sampled,
        token_lengths_before_truncation: mapRound(w.token_lengths), truncated: w.truncated,
        batches: Object.fromEntries(Object.entries(w.byBatch).map(([b, x]) => [`b${b}`, {
          sentences: sum(x.batches.map((bt) => bt.length)), batches: x.batches.length,
          padded_length: mapRound(distribution(x.padded_lengths)), real_tokens: x.real_tokens, padded_tokens: x.padded_tokens,
          padding_efficiency: round(x.real_tokens / x.padded_tokens, 3),
        }])),
      }
    : w])),
  cases: rows,
  agreement,
  targets,
  train_targets: trainTargets,
};
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(record, null, 1)}\n`);

function mapRound(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 2)]));
}

// ---- table ------------------------------------------------------------------------------------------

function table(title, header, body, leftColumns = 2) {
  if (body.length === 0) return;
  const cells = [header, ...body].map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = header.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const left = (j) => j < leftColumns || header[j] === 'reason';
  const line = (r) => r.map((c, j) => (left(j) ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}
const f = (x, d = 1) => (x === undefined || x === null ? '' : Number(x).toFixed(d));
const x = (r) => (r === undefined ? '' : `${r.toFixed(2)}x`);

console.log(`\nsbert bench suite${opts.quick ? ' (--quick: harness check, not a measurement)' : ''} — ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, ${machine.os}, node ${machine.node}`);
console.log(`load average ${loadStart.map((v) => v.toFixed(2)).join(' ')} → ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}; ${round((Date.now() - suiteStarted) / 1000, 0)} s`);

table(`matMul peak (float32 ${SIZES.peak.size}³, best of ${SIZES.peak.reps} runs${SIZES.peakTwice ? ', at the start and the end of the suite' : ''})`,
  ['engine', 'name', 'threads', 'GFLOP/s', ...(SIZES.peakTwice ? ['other run'] : []), 'taken at'],
  peaks.map((p) => [p.engine, p.name, p.threads, f(p.gflops_best), ...(SIZES.peakTwice ? [f(p.other_gflops_best)] : []), p.when]));
if (machinePeak) console.log(`machine peak = ${machinePeak.name} ${f(machinePeak.gflops_best)} GFLOP/s (all cores)`);

table('token lengths (MiniLM tokenizer, special tokens included, before truncation)', ['workload', 'source', 'n', 'min', 'p50', 'p90', 'max', 'mean', 'max_seq', 'truncated'],
  Object.values(workloads).filter((w) => w.byBatch).map((w) => [w.name, w.source.split(' (')[0], w.sentences_sampled, w.token_lengths.min, f(w.token_lengths.p50, 0), f(w.token_lengths.p90, 0), w.token_lengths.max, f(w.token_lengths.mean), w.max_seq_length, w.truncated]));
table('batches (ST order: longest first; padded to the longest of each batch)', ['workload', 'batch', 'sentences', 'batches', 'mean padded len', 'padding efficiency'],
  Object.values(workloads).filter((w) => w.byBatch).flatMap((w) => Object.entries(w.byBatch).map(([b, bt]) => [w.name, b, sum(bt.batches.map((y) => y.length)), bt.batches.length, f(mean(bt.padded_lengths)), f(bt.real_tokens / bt.padded_tokens, 2)])));

const okRows = rows.filter((r) => r.status === 'ok');
table('encode, all-MiniLM-L6-v2 (sentences/s after warm-up; latency per batch; x sbert = throughput / @sbert\'s)',
  ['case', 'impl', 'sent/s', 'x sbert', 'p50 ms', 'p90 ms', 'GFLOP/s', '% machine', '% engine', 'RSS MB'],
  okRows.filter((r) => r.kind === 'encode').map((r) => [r.id, IMPL_LABEL[r.impl], f(r.sentences_per_s), x(r.throughput_vs_sbert), f(r.latency_ms.p50), f(r.latency_ms.p90), f(r.gflops), f(r.pct_machine_peak), f(r.pct_engine_peak), f(r.max_rss_mb, 0)]));
table(`training step (${TRAIN.pairs} pairs, max_seq_length ${TRAIN.maxSeqLength}: forward + backward + clip + AdamW; median of timed steps)`,
  ['case', 'impl', 's/step', 'pairs/s', 'x sbert', 'GFLOP/s', '% machine', '% engine', 'RSS MB', 'steps'],
  okRows.filter((r) => r.kind === 'train').map((r) => [r.id, IMPL_LABEL[r.impl], f(r.seconds_per_step, 3), f(r.pairs_per_s), x(r.throughput_vs_sbert), f(r.gflops), f(r.pct_machine_peak), f(r.pct_engine_peak), f(r.max_rss_mb, 0), r.timed_steps]));
table('embedding agreement with @sbert (cosine per sentence, max_seq_length 128)', ['impl', 'status', 'rows', 'min cos', 'mean cos', 'max |diff|', 'pass (> 0.9999)', 'reason'],
  agreement.map((a) => [IMPL_LABEL[a.impl], a.status, a.rows, a.min_cosine?.toFixed(7), a.mean_cosine?.toFixed(7), a.max_abs_diff?.toExponential(2), a.pass === undefined ? '' : a.pass ? 'yes' : 'NO', a.reason ?? '']));

if (targets.length) {
  console.log('\nissue target >= 100 sentences/s at <= 32 tokens: ' + targets.map((t) => `${IMPL_LABEL[t.impl]} ${t.case.split('/').slice(1).join('/')} ${f(t.sentences_per_s)} (${t.met ? 'met' : 'not met'})`).join(', '));
}
if (trainTargets.length) {
  console.log('issue target <= 5 s per MiniLM CoSENT step (32 pairs x 32 tokens): ' + trainTargets.map((t) => `${IMPL_LABEL[t.impl]} ${t.case.endsWith('/32tok') ? '32tok ' : 'real pairs '}${f(t.seconds_per_step, 2)} s (${t.met ? 'met' : 'not met'})`).join(', '));
}

const notRun = new Map();
for (const r of rows.filter((y) => y.status !== 'ok')) {
  const key = `${r.impl}\u0000${r.status}\u0000${r.reason}`;
  notRun.set(key, [...(notRun.get(key) ?? []), r.id]);
}
for (const r of results.filter((y) => y.kind === 'peak' && y.result.status !== 'ok')) notRun.set(`${r.impl}\u0000${r.result.status}\u0000${r.result.reason}`, [r.id]);
table('not run', ['impl', 'status', 'cases', 'reason'],
  [...notRun.entries()].map(([k, ids]) => {
    const [impl, status, reason] = k.split('\u0000');
    return [IMPL_LABEL[impl], status, ids.length === 1 ? ids[0] : `${ids.length} cases`, reason];
  }), 3);
const notSelected = IMPLS.filter((i) => !opts.impls.includes(i));
if (notSelected.length) console.log(`\nnot selected (--impl): ${notSelected.join(', ')}`);
console.log(`\nresults: ${outFile}${partial ? ' (partial run: not written to bench/results unless --out is given)' : ''}`);
