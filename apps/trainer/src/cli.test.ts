/** The real command line, as a user runs it (node dist/bin.js, built by the test script). */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SentenceTransformer } from '@sbert/core';
import { repoRoot, sharedData } from './test-utils/paths.js';

const bin = path.join(repoRoot, 'apps/trainer/dist/bin.js');
const run = promisify(execFile);
const tinyModel = path.join(repoRoot, 'tools/parity/fixtures/core/models/tiny-mean');
const stsTrain = path.join(repoRoot, 'apps/trainer/data/chinese-sts-b/STS-B.train.data');
const stsValid = path.join(repoRoot, 'apps/trainer/data/chinese-sts-b/STS-B.valid.data');
const lcqmc = path.join(sharedData, 'lcqmc/train_sample_LET.txt');
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'sbert-cli-'));

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], { env: { ...process.env, SBERT_BACKEND: 'wasm' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('sbert-trainer CLI', () => {
  it('trains a SoftmaxLoss classifier on LCQMC-format data and predicts labels and probabilities for new pairs', async () => {
    const out = path.join(tmp(), 'clf');
    const trained = await cli(['train', '--model', tinyModel, '--train', lcqmc, '--format', 'pairs', '--data-options', '{"labelPosition":"first"}', '--loss', 'SoftmaxLoss', '--epochs', '4', '--batch-size', '4', '--learning-rate', '0.003', '--output-dir', out, '--no-progress', '--no-report']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/^trained 20 steps in/);
    const predicted = await cli(['predict', '--model', path.join(out, 'last'), '--s1', '喜欢打篮球的男生喜欢什么样的女生', '--s2', '爱打篮球的男生喜欢什么样的女生', '--label-names', 'different,same']);
    expect(predicted.code, predicted.stderr).toBe(0);
    const p = JSON.parse(predicted.stdout.trim()) as { label: number; label_name: string; probabilities: number[] };
    expect(p.probabilities).toHaveLength(2);
    expect(p.probabilities[0]! + p.probabilities[1]!).toBeCloseTo(1, 5);
    expect(p.label_name).toBe(['different', 'same'][p.label]);
  });

  it('evaluate prints a metric table', async () => {
    const r = await cli(['evaluate', '--model', tinyModel, '--data', stsValid, '--format', 'sts', '--name', 'sts-dev']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^metric\s+value\n-+\s+-+\nsts-dev_pearson_cosine\s+-?\d\.\d{4}\nsts-dev_spearman_cosine\s+-?\d\.\d{4}\n$/);
  });

  it('bad options exit with status 2 and a message naming the option', async () => {
    const r = await cli(['train', '--model', tinyModel, '--train', stsTrain, '--format', 'sts', '--loss', 'NoSuchLoss', '--output-dir', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sbert-trainer: option 'objectives\[0\]\.loss': unknown loss 'NoSuchLoss'/);
    const help = await cli(['train', '--help']);
    expect(help.stdout).toContain('--learning-rate (default: 0.00002)');
  });

  it('a kill during checkpoint saves always leaves a complete checkpoint that resumes', async () => {
    for (const delay of [40, 170, 330]) {
      const out = path.join(tmp(), 'run');
      const child = spawn('node', [bin, 'train', '--model', tinyModel, '--train', stsTrain, '--format', 'sts', '--limit', '400', '--loss', 'CoSENTLoss', '--batch-size', '4', '--checkpoint-steps', '1', '--output-dir', out, '--no-progress', '--no-report'], { env: { ...process.env, SBERT_BACKEND: 'wasm' }, stdio: 'ignore' });
      const state = path.join(out, 'checkpoint', 'state.json');
      while (!existsSync(state)) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const saved = JSON.parse(readFileSync(state, 'utf8')) as { step: number };
      expect(saved.step).toBeGreaterThan(0);
      const model = await SentenceTransformer.load(path.join(out, 'checkpoint', 'model'));
      expect((await model.encode(['好'])).at(0)).toHaveLength(32);
      model.dispose();
      const resumed = await cli(['train', '--model', tinyModel, '--train', stsTrain, '--format', 'sts', '--limit', '400', '--loss', 'CoSENTLoss', '--batch-size', '4', '--checkpoint-steps', '0', '--max-steps', String(saved.step + 1), '--output-dir', out, '--resume', '--no-progress', '--no-report']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`resumed from step ${saved.step}`);
    }
  });
});
