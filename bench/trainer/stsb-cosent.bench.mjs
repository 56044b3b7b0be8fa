// Acceptance run of apps/trainer: fine-tune all-MiniLM-L6-v2 on the English STS-B train split with
// CoSENTLoss for one epoch (the recipe of tools/parity/trainer/stsb_cosent.py), then Spearman
// (cosine) on the test split. Needs `pnpm build` and `pnpm fetch-models`.
//   node bench/trainer/stsb-cosent.bench.mjs [--out bench/results/<date>-stsb-cosent-sbert.json]
import os from 'node:os';
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeEvaluator, resolveConfig, train } from '../../apps/trainer/dist/index.js';
import { SentenceTransformer } from '../../packages/core/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stsb = path.resolve(root, '..', 'shared/data/english-sts-b/stsbenchmark.tsv.gz');
const model = path.join(root, '.cache/models/all-MiniLM-L6-v2');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : path.join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-stsb-cosent-sbert.json`);

const evaluator = await makeEvaluator({ type: 'EmbeddingSimilarityEvaluator', name: 'sts-test', data: { path: stsb, format: 'sts', options: { split: 'test', normalize: true } } });
const before = await SentenceTransformer.load(model);
const spearmanBefore = (await evaluator.evaluate(before))['sts-test_spearman_cosine'];
before.dispose();

const config = resolveConfig({}, {
  model,
  objectives: [{ data: { path: stsb, format: 'sts', options: { split: 'train', normalize: true } }, loss: 'CoSENTLoss' }],
  batchSize: 16, learningRate: 2e-5, warmupRatio: 0.1, weightDecay: 0.01, maxGradNorm: 1, epochs: 1, seed: 42,
  checkpointSteps: 0, outputDir: path.join(root, 'output/bench-stsb-cosent'), report: false, progress: true,
});
const result = await train(config);
const trained = await SentenceTransformer.load(result.lastModelDir);
const spearmanAfter = (await evaluator.evaluate(trained))['sts-test_spearman_cosine'];
trained.dispose();

const record = {
  what: 'all-MiniLM-L6-v2 + CoSENTLoss, 1 epoch on STS-B train (5,749 pairs), Spearman (cosine) on STS-B test (1,379 pairs)',
  generated_by: 'node bench/trainer/stsb-cosent.bench.mjs',
  implementation: '@sbert/trainer (TensorFlow.js)',
  backend: result.backend,
  versions: { node: process.version },
  machine: { platform: `${os.type()} ${os.release()} ${os.arch()}`, cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
  recipe: { batch_size: 16, learning_rate: 2e-5, warmup_ratio: 0.1, weight_decay: 0.01, max_grad_norm: 1, epochs: 1, seed: 42, scores: 'score/5' },
  steps: result.steps,
  spearman_before: spearmanBefore,
  spearman_after: spearmanAfter,
  train_seconds: result.seconds,
};
console.log(JSON.stringify(record, null, 1));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(record, null, 1));
