import { existsSync, mkdtempSync, promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, SentenceTransformer, tf } from '@sbert/core';
import { configFromArgs } from './commands/train.js';
import { resolveConfig, type TrainConfig } from './config.js';
import { findClassifier, predictPairs } from './commands/predict.js';
import { NonFiniteLossError, train } from './trainer.js';
import { SoftmaxLoss } from '@sbert/losses';
import { repoRoot, sharedData, tinyVocab } from './test-utils/paths.js';

const stsTrain = path.join(repoRoot, 'apps/trainer/data/chinese-sts-b/STS-B.train.data');
const stsValid = path.join(repoRoot, 'apps/trainer/data/chinese-sts-b/STS-B.valid.data');
const lcqmcSample = path.join(sharedData, 'lcqmc/train_sample_LET.txt');

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'sbert-trainer-'));
}

/** A tiny, quick config: 2-layer BERT of width 32, 48 STS pairs. */
function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig(
    {},
    {
      shape: 'tiny',
      tokenizer: tinyVocab,
      maxSeqLength: 32,
      objectives: [{ data: { path: stsTrain, format: 'sts', limit: 48 }, loss: 'CoSENTLoss' }],
      batchSize: 8,
      learningRate: 1e-3,
      outputDir: path.join(tmp(), 'run'),
      progress: false,
      report: false,
      backend: 'wasm',
      ...overrides,
    },
  );
}
const quiet = { log: () => {} };

describe('configuration errors are raised before training starts and name the option', () => {
  const cases: [string, string[], string][] = [
    ['unknown loss', ['--loss', 'CoolLoss'], "option 'objectives[0].loss': unknown loss 'CoolLoss'; expected one of CoSENTLoss"],
    ['columns that do not fit the loss', ['--loss', 'TripletLoss'], "option 'objectives[0].loss': TripletLoss takes 3 text columns but"],
    ['a missing data file', ['--train', '/nonexistent/train.tsv'], "option 'objectives[0].data.path': file /nonexistent/train.tsv not found"],
    ['a negative learning rate', ['--learning-rate=-0.1', ''], "command line: option 'learning-rate' is \"-0.1\"; expected a number >= 0"],
    ['an unknown format', ['--format', 'xml'], "option 'objectives[0].data.format' is \"xml\"; expected one of pairs, sts, nli"],
    ['a missing model', ['--model', '/nonexistent/model'], "option 'model': directory /nonexistent/model not found"],
    ['an unknown flag', ['--learnig-rate', '1'], "Unknown option '--learnig-rate'"],
  ];
  for (const [what, flags, message] of cases) {
    it(what, async () => {
      const base: Record<string, string> = { '--shape': 'tiny', '--tokenizer': tinyVocab, '--train': stsTrain, '--format': 'sts', '--loss': 'CoSENTLoss', '--output-dir': tmp() };
      for (let i = 0; i < flags.length; i += 2) base[flags[i]!] = flags[i + 1]!;
      const args = Object.entries(base).flat().filter((a) => a !== '');
      let error: unknown;
      try {
        const config = await configFromArgs(args);
        await train({ ...config, progress: false, report: false }, quiet);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(message);
    });
  }

  it('reads YAML and lets flags win', async () => {
    const dir = tmp();
    const file = path.join(dir, 'c.yaml');
    await fs.writeFile(file, `shape: tiny\ntokenizer: ${tinyVocab}\nbatchSize: 4\nlearningRate: 0.1\nobjectives:\n  - data: {path: ${stsTrain}, format: sts}\n    loss: CoSENTLoss\n`);
    const config = await configFromArgs(['--config', file, '--learning-rate', '0.002', '--no-report']);
    expect(config.batchSize).toBe(4);
    expect(config.learningRate).toBe(0.002);
    expect(config.report).toBe(false);
    expect(config.weightDecay).toBe(0.01);
    expect(config.scheduler).toBe('warmuplinear');
  });
});

describe('training', () => {
  it('the loss falls, the best and last models are ST directories, the log and config are written', async () => {
    const config = tinyConfig({
      objectives: [{ data: { path: stsTrain, format: 'sts', limit: 96 }, loss: 'CoSENTLoss' }],
      evaluator: { type: 'EmbeddingSimilarityEvaluator', data: { path: stsValid, format: 'sts', limit: 64 }, name: 'sts-dev' },
      epochs: 2,
      evaluationSteps: 6,
      report: true,
    });
    const before = tf.memory().numTensors;
    const result = await train(config, quiet);
    expect(result.steps).toBe(24);
    const first = result.losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const last = result.losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(last).toBeLessThan(first);
    expect(result.evaluations.map((e) => e.step)).toEqual([6, 12, 12, 18, 24, 24]);
    expect(Object.keys(result.finalMetrics!)).toEqual(['sts-dev_pearson_cosine', 'sts-dev_spearman_cosine']);
    const log = readFileSync(path.join(result.outputDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(log.filter((l) => l.type === 'train')).toHaveLength(24);
    expect(JSON.parse(readFileSync(path.join(result.outputDir, 'train-config.json'), 'utf8')).batchSize).toBe(8);
    expect(existsSync(path.join(result.outputDir, 'report.html'))).toBe(true);
    for (const dir of [result.bestModelDir!, result.lastModelDir]) {
      expect(existsSync(path.join(dir, 'modules.json'))).toBe(true);
      expect(existsSync(path.join(dir, 'sbert_train_config.json'))).toBe(true);
    }
    const reloaded = await SentenceTransformer.load(result.lastModelDir);
    expect((await reloaded.encode(['好'])).at(0)).toHaveLength(128);
    reloaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('--resume continues with the same loss sequence as an uninterrupted run', async () => {
    const common = { epochs: 2, checkpointSteps: 2, seed: 5 };
    const full = await train(tinyConfig(common), quiet);
    const dir = path.join(tmp(), 'run');
    const first = await train(tinyConfig({ ...common, outputDir: dir }), { ...quiet, stopAfterStep: 7 });
    expect(first.steps).toBe(7);
    // The checkpoint is at step 6; a resumed run repeats step 7 and goes on.
    const resumed = await train(tinyConfig({ ...common, outputDir: dir, resume: true }), quiet);
    expect(resumed.losses).toHaveLength(full.losses.length);
    resumed.losses.forEach((l, i) => expect(Math.abs(l - full.losses[i]!), `step ${i + 1}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(full.losses[i]!))));
  });

  it('--data-parallel 2 trains, leaks nothing and resumes exactly', async () => {
    const common = { epochs: 2, checkpointSteps: 2, seed: 5, dataParallel: 2 };
    const before = tf.memory().numTensors;
    const full = await train(tinyConfig(common), quiet);
    expect(tf.memory().numTensors).toBe(before);
    expect(full.steps).toBe(12);
    expect(full.losses.slice(-3).reduce((a, b) => a + b)).toBeLessThan(full.losses.slice(0, 3).reduce((a, b) => a + b));
    const dir = path.join(tmp(), 'run');
    await train(tinyConfig({ ...common, outputDir: dir }), { ...quiet, stopAfterStep: 7 });
    const resumed = await train(tinyConfig({ ...common, outputDir: dir, resume: true }), quiet);
    resumed.losses.forEach((l, i) => expect(Math.abs(l - full.losses[i]!), `step ${i + 1}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(full.losses[i]!))));
  });

  it('--data-parallel 2 with --mini-batch-size caches gradients in the workers and trains', async () => {
    const before = tf.memory().numTensors;
    const run = await train(tinyConfig({ epochs: 2, seed: 5, dataParallel: 2, miniBatchSize: 3 }), quiet);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.steps).toBe(12);
    expect(run.losses.every(Number.isFinite)).toBe(true);
    expect(run.losses.slice(-3).reduce((a, b) => a + b)).toBeLessThan(run.losses.slice(0, 3).reduce((a, b) => a + b));
  });

  it('a NaN loss stops the run with a clear message, keeping the last good checkpoint', async () => {
    const dir = path.join(tmp(), 'run');
    const loss = `${path.join(repoRoot, 'apps/trainer/src/test-utils/nan-loss.mjs')}#NaNAfterTwoLoss`;
    const error = await train(tinyConfig({ outputDir: dir, checkpointSteps: 1, objectives: [{ data: { path: stsTrain, format: 'sts', limit: 48 }, loss }] }), quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/loss of objective 0 \(NaNAfterTwoLoss\) is NaN at step 3; training stopped\. The last good checkpoint \(if any\) is in .*checkpoint/);
    const state = JSON.parse(readFileSync(path.join(dir, 'checkpoint', 'state.json'), 'utf8')) as { step: number };
    expect(state.step).toBe(2);
  });

  it('the first 20 losses agree within 1e-4 on the cpu and wasm backends', async () => {
    // The cpu backend is pure JS: a model of width 32 (a fixture) keeps this quick.
    const opts = {
      model: path.join(repoRoot, 'tools/parity/fixtures/core/models/tiny-mean'),
      objectives: [{ data: { path: stsTrain, format: 'sts' as const, limit: 80 }, loss: 'CoSENTLoss' }],
      batchSize: 4,
      maxSteps: 20,
      checkpointSteps: 0,
      seed: 9,
    };
    const wasm = await train(tinyConfig({ ...opts, backend: 'wasm' }), quiet);
    const cpu = await train(tinyConfig({ ...opts, backend: 'cpu' }), quiet);
    expect(cpu.backend.choice).toBe('cpu');
    expect(wasm.losses).toHaveLength(20);
    wasm.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!), `step ${i + 1}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(l))));
  }, 300_000);
});

describe('a two-sentence classifier (SoftmaxLoss) on LCQMC-format data', () => {
  it('predicts labels and probabilities for new pairs from the API', async () => {
    const result = await train(
      tinyConfig({ objectives: [{ data: { path: lcqmcSample, format: 'pairs', options: { labelPosition: 'first' } }, loss: 'SoftmaxLoss' }], epochs: 8, batchSize: 4, learningRate: 3e-3 }),
      quiet,
    );
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]!);
    const model = await SentenceTransformer.load(result.lastModelDir);
    const classifier = await SoftmaxLoss.load(findClassifier(result.lastModelDir));
    const predictions = await predictPairs(model, classifier, [['喜欢打篮球的男生喜欢什么样的女生', '爱打篮球的男生喜欢什么样的女生'], ['今天天气很好', '我想买手机']]);
    model.dispose();
    classifier.dispose();
    expect(predictions).toHaveLength(2);
    for (const p of predictions) {
      expect(p.probabilities).toHaveLength(2);
      expect(p.probabilities[0]! + p.probabilities[1]!).toBeCloseTo(1, 5);
      expect(p.label).toBe(p.probabilities[1]! > p.probabilities[0]! ? 1 : 0);
    }
    // The first pair is a training pair labelled 1.
    expect(predictions[0]!.label).toBe(1);
  });
});
