// Gradient caching lets the batch size exceed what the 4 GB wasm heap holds: all-MiniLM-L6-v2,
// 64 pairs of MS MARCO passages truncated at 128 tokens per step (MultipleNegativesRankingLoss),
// embedded 8 at a time with gradients (16 x 128 tokens exceeds the 4 GB wasm heap). Records step time and peak RSS.
//   node bench/trainer/gradcache-minilm.bench.mjs [--out FILE]
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveConfig, train } from '../../apps/trainer/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const triples = path.resolve(root, '..', 'shared/data/msmarco/triples.train.small.head100.tsv');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : path.join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-gradcache-minilm.json`);
let peakRss = 0;
const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 200);
const stepTimes = [];
let last = Date.now();
const config = resolveConfig({}, {
  model: path.join(root, '.cache/models/all-MiniLM-L6-v2'),
  maxSeqLength: 128,
  objectives: [{ data: { path: triples, format: 'generic', options: { format: 'tsv', header: false, texts: [1, 2] } }, loss: 'MultipleNegativesRankingLoss' }],
  batchSize: 64, miniBatchSize: 8, maxSteps: 1, checkpointSteps: 0, report: false, progress: false,
  outputDir: path.join(root, 'output/bench-gradcache'),
});
const result = await train(config, { onStep: () => { const now = Date.now(); stepTimes.push((now - last) / 1000); last = now; } });
clearInterval(timer);
const record = {
  what: 'all-MiniLM-L6-v2, MultipleNegativesRankingLoss, 64 pairs of MS MARCO passages at max 128 tokens per step, gradient caching with mini-batches of 8',
  generated_by: 'node bench/trainer/gradcache-minilm.bench.mjs',
  backend: result.backend.choice,
  machine: { platform: `${os.type()} ${os.release()} ${os.arch()}`, cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  steps: result.steps, losses: result.losses, step_seconds: stepTimes, peak_rss_mb: Math.round(peakRss / 2 ** 20),
};
console.log(JSON.stringify(record, null, 1));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(record, null, 1));
