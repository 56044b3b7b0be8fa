/**
 * `train(config)`: sentence-transformers' fit() in Node. Objectives are taken round-robin, each
 * with its own AdamW and schedule (as fit() does); gradients can be cached so the batch size is
 * not limited by memory; the best model (by the evaluator's primary metric) and the last one
 * are saved; checkpoints resume exactly.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, initBackend, SbertError, SentenceTransformer, tf, writeFileAtomic, type BackendInfo, type PoolingMode } from '@sbert/core';
import { DefaultBatchSampler, NoDuplicatesBatchSampler, type BatchSampler, type InputExample } from '@sbert/data';
import type { SentenceEvaluator } from '@sbert/eval';
import type { Loss } from '@sbert/losses';
import { MODEL_SHAPES, type TrainConfig } from './config.js';
import { loadData, makeEvaluator, makeLoss, type LoadedData } from './objectives.js';
import { writeReport } from './report.js';
import { AdamW } from './training/adamw.js';
import { hasCheckpoint, readState, restoreCheckpoint, saveCheckpoint, type TrainerState } from './training/checkpoint.js';
import { batchGradients } from './training/gradients.js';
import { DataParallel } from './training/data-parallel.js';
import { TrainProgress } from './training/progress.js';
import { lrMultiplier } from './training/schedule.js';

/** Training stopped because the loss became NaN or infinite. */
export class NonFiniteLossError extends SbertError {
  constructor(message: string) {
    super('E_NONFINITE_LOSS', message);
  }
}

export interface TrainHooks {
  /** Called after every optimizer step. */
  onStep?: (info: { step: number; loss: number; lr: number }) => void;
  /** Stop (as if killed) after this step, for tests of resume. */
  stopAfterStep?: number;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
}

export interface TrainResult {
  outputDir: string;
  bestModelDir: string | null;
  lastModelDir: string;
  steps: number;
  losses: number[];
  evaluations: TrainerState['evaluations'];
  finalMetrics: Record<string, number> | null;
  backend: BackendInfo;
  dataCounts: { file: string; lines: number; records: number; skipped: Record<string, number>; excluded: Record<string, number> }[];
  seconds: number;
}

interface Objective {
  records: InputExample[];
  loss: Loss;
  sampler: BatchSampler;
  optimizer: AdamW;
}

function labelsTensor(records: InputExample[]): tf.Tensor | undefined {
  if (records[0]?.label === undefined) return undefined;
  const first = records[0].label;
  if (Array.isArray(first)) return tf.tensor2d(records.map((r) => r.label as number[]));
  return tf.tensor1d(records.map((r) => r.label as number));
}

async function buildModel(config: TrainConfig, modelDir: string | undefined): Promise<SentenceTransformer> {
  if (modelDir) return SentenceTransformer.load(modelDir, { backend: config.backend });
  const shape = MODEL_SHAPES[config.shape!];
  return SentenceTransformer.create({ ...shape, tokenizer: config.tokenizer!, maxSeqLength: config.maxSeqLength, pooling: config.pooling as PoolingMode, seed: config.seed });
}

/** Trains a model as the config says. Every option is validated before training starts. */
export async function train(config: TrainConfig, hooks: TrainHooks = {}): Promise<TrainResult> {
  const started = Date.now();
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const backend = await initBackend({ backend: config.backend });
  const outputDir = path.resolve(config.outputDir);
  const resuming = config.resume && hasCheckpoint(outputDir);
  if (config.resume && !resuming) throw new ConfigError(`option 'resume': no checkpoint in ${outputDir}`, { field: 'resume' });

  // Everything that can fail on bad input happens before the first step.
  const loaded: LoadedData[] = [];
  for (const o of config.objectives) loaded.push(await loadData(o.data));
  loaded.forEach((d, i) => {
    if (d.records.length === 0) throw new ConfigError(`option 'objectives[${i}].data': ${config.objectives[i]!.data.path} has no records`, { field: `objectives[${i}].data` });
  });
  const evaluator: SentenceEvaluator | undefined = config.evaluator ? await makeEvaluator(config.evaluator) : undefined;
  const model = await buildModel(config, resuming ? path.join(outputDir, 'checkpoint', 'model') : config.model);
  const dim = model.getSentenceEmbeddingDimension();
  const objectives: Objective[] = [];
  try {
    for (const [i, o] of config.objectives.entries()) {
      const records = loaded[i]!.records;
      const loss = await makeLoss(o, i, dim, records);
      const samplerOptions = { batchSize: config.batchSize, seed: config.seed + i * 1000 };
      const sampler = o.sampler === 'no-duplicates' ? new NoDuplicatesBatchSampler(records, samplerOptions) : new DefaultBatchSampler(records.length, samplerOptions);
      const optimizer = new AdamW([...model.trainableWeights(), ...loss.trainableWeights()], { lr: config.learningRate, weightDecay: config.weightDecay });
      objectives.push({ records, loss, sampler, optimizer });
    }
  } catch (error) {
    model.dispose();
    for (const o of objectives) o.optimizer.dispose();
    throw error;
  }

  const accumulation = config.gradientAccumulationSteps;
  const stepsPerEpoch = Math.max(1, Math.floor(Math.min(...objectives.map((o) => o.sampler.length)) / accumulation));
  const totalSteps = config.maxSteps ?? stepsPerEpoch * config.epochs;
  const warmup = config.warmupSteps ?? Math.ceil(totalSteps * config.warmupRatio);
  await fs.mkdir(outputDir, { recursive: true });
  await writeFileAtomic(path.join(outputDir, 'train-config.json'), JSON.stringify(config, null, 2));

  let state: TrainerState = { step: 0, epoch: 0, position: 0, losses: [], evaluations: [], bestScore: null, seed: config.seed };
  if (resuming) {
    state = await readState(outputDir);
    await restoreCheckpoint(outputDir, objectives.map((o) => o.optimizer), objectives.map((o) => o.loss.trainableWeights()), state.step);
    log(`resumed from step ${state.step} (epoch ${state.epoch}, batch ${state.position})`);
  }
  const logFile = path.join(outputDir, 'log.jsonl');
  if (!resuming) await fs.writeFile(logFile, '');
  const appendLog = (entry: Record<string, unknown>): Promise<void> => fs.appendFile(logFile, `${JSON.stringify(entry)}\n`);
  const progress = new TrainProgress(totalSteps, config.progress, state.step);
  const bestDir = path.join(outputDir, 'best');
  /** Saves the model, the resolved config and any loss with weights of its own (SoftmaxLoss's classifier). */
  const saveTrained = async (dir: string): Promise<void> => {
    await model.save(dir);
    await writeFileAtomic(path.join(dir, 'sbert_train_config.json'), JSON.stringify(config, null, 2));
    for (const [k, o] of objectives.entries()) {
      const saver = o.loss as unknown as { save?: (d: string) => Promise<void> };
      if (typeof saver.save === 'function') await saver.save(path.join(dir, `loss-${k}-${o.loss.name}`));
    }
  };

  const evaluate = async (epoch: number): Promise<void> => {
    if (!evaluator) return;
    const metrics = await evaluator.evaluate(model, { outputPath: path.join(outputDir, 'eval'), epoch, steps: state.step });
    state.evaluations.push({ step: state.step, epoch, metrics });
    await appendLog({ type: 'eval', step: state.step, epoch, metrics });
    const key = evaluator.primaryMetric;
    const score = key === undefined ? undefined : metrics[key];
    const better = evaluator.greaterIsBetter ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    if (score !== undefined && Number.isFinite(score) && (state.bestScore === null || better(score, state.bestScore))) {
      state.bestScore = score;
      await saveTrained(bestDir);
      log(`new best ${key} = ${score.toFixed(4)} at step ${state.step}: saved ${bestDir}`);
    }
  };

  let stopped = false;
  let parallel: DataParallel | undefined;
  try {
    if (config.dataParallel > 1) parallel = await DataParallel.open(model, { workers: config.dataParallel, backend: config.backend });
    while (state.step < totalSteps && !stopped) {
      for (const o of objectives) o.sampler.setEpoch(state.epoch);
      const epochBatches = objectives.map((o) => [...o.sampler]);
      while (state.position + accumulation <= stepsPerEpoch * accumulation && state.step < totalSteps) {
        const lr = config.learningRate * lrMultiplier(config.scheduler, state.step, warmup, totalSteps);
        const stepLosses: number[] = [];
        // Data-parallel without accumulation: the model's gradients stay in the workers' shared
        // memory and the workers run the optimizer over their shares of the parameters.
        const sharedStep = parallel !== undefined && accumulation === 1;
        for (const [k, o] of objectives.entries()) {
          const grads = new Map<string, tf.Tensor>();
          let lossSum = 0;
          for (let a = 0; a < accumulation; a++) {
            const indices = epochBatches[k]![state.position + a]!;
            const records = indices.map((i) => o.records[i]!);
            const columns = records[0]!.texts.map((_, c) => records.map((r) => r.texts[c]!));
            const labels = labelsTensor(records);
            try {
              const seed = config.seed * 1_000_003 + state.step * 101 + k * 11 + a;
              const g = parallel
                ? await parallel.batchGradients(o.loss, { columns, ...(labels ? { labels } : {}) }, {
                    training: true,
                    seed,
                    keepModelGradients: sharedStep,
                    ...(config.miniBatchSize !== undefined ? { miniBatchSize: config.miniBatchSize } : {}),
                  })
                : batchGradients(model, o.loss, { columns, ...(labels ? { labels } : {}) }, {
                    training: true,
                    seed,
                    ...(config.miniBatchSize !== undefined ? { miniBatchSize: config.miniBatchSize } : {}),
                  });
              lossSum += g.loss;
              for (const [name, t] of g.grads) {
                const prev = grads.get(name);
                if (prev) {
                  grads.set(name, prev.add(t));
                  prev.dispose();
                  t.dispose();
                } else grads.set(name, t);
              }
            } finally {
              labels?.dispose();
            }
          }
          const loss = lossSum / accumulation;
          if (!Number.isFinite(loss)) {
            tf.dispose([...grads.values()]);
            throw new NonFiniteLossError(
              `loss of objective ${k} (${o.loss.name}) is ${loss} at step ${state.step + 1}; training stopped. ` +
                `The last good checkpoint (if any) is in ${path.join(outputDir, 'checkpoint')}. Try a lower learning rate or check the labels.`,
            );
          }
          if (accumulation > 1) for (const [name, g] of grads) grads.set(name, tf.tidy(() => g.div(accumulation)));
          o.optimizer.lr = lr;
          if (sharedStep) await parallel!.applyOptimizer(o.optimizer, grads, { maxGradNorm: config.maxGradNorm });
          else {
            o.optimizer.apply(grads, {
              maxGradNorm: config.maxGradNorm,
              ...(parallel ? { onUpdated: (name: string, values: Float32Array) => parallel!.weightUpdated(name, values) } : {}),
            });
          }
          tf.dispose([...grads.values()]);
          stepLosses.push(loss);
        }
        state.position += accumulation;
        state.step += 1;
        const loss = stepLosses.reduce((a, b) => a + b, 0) / stepLosses.length;
        state.losses.push(loss);
        if (state.step % config.logEvery === 0) await appendLog({ type: 'train', step: state.step, epoch: state.epoch, loss, lr, losses: stepLosses, elapsed: (Date.now() - started) / 1000 });
        progress.update(state.step, loss, lr);
        hooks.onStep?.({ step: state.step, loss, lr });
        if (config.evaluationSteps > 0 && state.step % config.evaluationSteps === 0) await evaluate(state.epoch);
        if (config.checkpointSteps > 0 && state.step % config.checkpointSteps === 0) {
          await saveCheckpoint(outputDir, model, objectives.map((o) => o.optimizer), objectives.map((o) => o.loss.trainableWeights()), state);
        }
        if (hooks.stopAfterStep !== undefined && state.step >= hooks.stopAfterStep) {
          stopped = true;
          break;
        }
      }
      if (stopped) break;
      await evaluate(state.epoch);
      state.epoch += 1;
      state.position = 0;
    }
    progress.done();
    const lastDir = path.join(outputDir, 'last');
    await saveTrained(lastDir);
    const finalMetrics = state.evaluations.at(-1)?.metrics ?? null;
    const result: TrainResult = {
      outputDir,
      bestModelDir: state.bestScore === null ? null : bestDir,
      lastModelDir: lastDir,
      steps: state.step,
      losses: state.losses,
      evaluations: state.evaluations,
      finalMetrics,
      backend,
      dataCounts: config.objectives.map((o, i) => ({ file: o.data.path, ...loaded[i]!.stats })),
      seconds: (Date.now() - started) / 1000,
    };
    if (config.report && !stopped) await writeReport(path.join(outputDir, 'report.html'), config, result);
    return result;
  } finally {
    await parallel?.close();
    model.dispose();
    for (const o of objectives) {
      o.optimizer.dispose();
      o.loss.dispose();
    }
  }
}
