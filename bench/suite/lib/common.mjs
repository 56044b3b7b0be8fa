// Shared helpers of the benchmark suite: paths, data readers, seeded sampling, statistics,
// FLOP counts and the child-process result protocol. Plain ESM, no dependencies.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const SUITE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = path.resolve(SUITE_DIR, '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');

/**
 * Inputs of the suite. The model directories and the Python interpreters can be overridden with
 * SBERT_BENCH_MODEL, SBERT_BENCH_ONNX_MODEL, SBERT_BENCH_PYTHON, SBERT_BENCH_PYTHON_ONNX.
 */
export const PATHS = {
  minilm: process.env.SBERT_BENCH_MODEL ?? path.join(REPO_ROOT, '.cache', 'models', 'all-MiniLM-L6-v2'),
  minilmOnnx: process.env.SBERT_BENCH_ONNX_MODEL ?? path.join(REPO_ROOT, '.cache', 'models', 'all-MiniLM-L6-v2-onnx'),
  stsb: path.join(SHARED_DATA, 'english-sts-b', 'stsbenchmark.tsv.gz'),
  lcqmc: path.join(SHARED_DATA, 'lcqmc', 'dev.txt'),
  pythonVenv: process.env.SBERT_BENCH_PYTHON ?? path.join(REPO_ROOT, 'tools', 'parity', '.venv', 'bin', 'python'),
  pythonOnnxVenv: process.env.SBERT_BENCH_PYTHON_ONNX ?? path.join(REPO_ROOT, 'tools', 'parity', '.venv-onnx', 'bin', 'python'),
  trainerDist: path.join(REPO_ROOT, 'apps', 'trainer', 'dist', 'training', 'gradients.js'),
  resultsDir: path.join(BENCH_DIR, 'results'),
};

/** MiniLM-L6 (all-MiniLM-L6-v2) and the tiny training shape, as BERT hyper-parameters. */
export const SHAPES = {
  minilm: { layers: 6, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522 },
  tiny: { layers: 2, hidden: 128, heads: 2, intermediate: 512, vocab: 30522 },
};

/** STS benchmark rows (all splits): { split, score, s1, s2 }. TAB-split only (the file has literal quotes). */
export function readStsb(file = PATHS.stsb) {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split(/\r?\n/);
  const header = lines[0].split('\t');
  const col = (name) => header.indexOf(name);
  const [iSplit, iScore, i1, i2] = [col('split'), col('score'), col('sentence1'), col('sentence2')];
  return lines.slice(1).filter(Boolean).map((line) => {
    const c = line.split('\t');
    return { split: c[iSplit], score: Number(c[iScore]), s1: c[i1], s2: c[i2] };
  });
}

/** LCQMC dev rows: { s1, s2, label }. */
export function readLcqmc(file = PATHS.lcqmc) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [s1, s2, label] = line.split('\t');
    return { s1, s2, label: Number(label) };
  });
}

/** Unique non-empty sentences of rows, in first-seen order. */
export function uniqueSentences(rows) {
  return [...new Set(rows.flatMap((r) => [r.s1, r.s2]).filter((s) => s && s.trim() !== ''))];
}

/** xorshift32, seeded: the same sample on every machine. */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Fisher-Yates shuffle (copy), seeded. */
export function shuffle(items, seed) {
  const rand = rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Splits into consecutive chunks of `size` (the last may be shorter). */
export function chunk(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function quantile(values, q) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);
export const sum = (values) => values.reduce((a, b) => a + b, 0);
export const mean = (values) => (values.length === 0 ? null : sum(values) / values.length);

/** min / p50 / p90 / max / mean of a list of numbers. */
export function distribution(values) {
  return {
    n: values.length,
    min: values.length ? Math.min(...values) : null,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    max: values.length ? Math.max(...values) : null,
    mean: mean(values),
  };
}

/**
 * FLOPs of one BERT encoder forward over `batch` sequences padded to `seqLen` tokens:
 * per layer and sequence 2·L·(4h² + 2hI) for the Q/K/V/O and feed-forward projections plus
 * 4·L²·h for the attention scores and the weighted sum (multiply-add = 2 FLOPs). Embeddings,
 * LayerNorm, softmax, GELU and pooling are left out (a few % at these shapes).
 */
/** Useful work of a forward pass over sequences of these real lengths (no padding counted). */
export function usefulFlops(shape, lengths) {
  return lengths.reduce((acc, l) => acc + forwardFlops(shape, 1, l), 0);
}

export function forwardFlops(shape, batch, seqLen) {
  const { layers, hidden: h, intermediate: I } = shape;
  const perSeq = layers * (2 * seqLen * (4 * h * h + 2 * h * I) + 4 * seqLen * seqLen * h);
  return batch * perSeq;
}

/**
 * Version of an npm package as Node would find it from `fromDir`: the first
 * node_modules/<pkg>/package.json on the way up (pnpm links each dependency there).
 */
export function npmVersion(pkg, fromDir = BENCH_DIR) {
  let dir = fromDir;
  for (;;) {
    const file = path.join(dir, 'node_modules', ...pkg.split('/'), 'package.json');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')).version;
      } catch {
        return undefined;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export const CORE_DIR = path.join(REPO_ROOT, 'packages', 'core');

// ---- child-process protocol ------------------------------------------------------------------

/** Marker of the one result line a case process prints on stdout. */
export const RESULT_MARK = '@@BENCH_RESULT ';

/** Reads the spec JSON file named by the first argument of a case process. */
export function readSpec() {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node <case>.mjs <spec.json>');
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Prints the result line of a case process, with its peak RSS (process.resourceUsage().maxRSS, KiB). */
export function emit(result) {
  const maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ ...result, max_rss_mb: maxRssKiB / 1024 })}\n`);
}

/** Reports the case as skipped (environment missing), with the reason. */
export function emitSkip(reason) {
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ status: 'skipped', reason })}\n`);
}

/** Milliseconds since an arbitrary origin, high resolution. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
