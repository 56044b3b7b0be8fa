// @sbert (TensorFlow.js, wasm backend) side of the suite: one case per process.
//   node bench/suite/cases/sbert.mjs <spec.json>
// spec.kind: 'encode' | 'agreement' | 'train' | 'peak'. Prints one result line (see lib/common.mjs).
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORE_DIR, PATHS, emit, emitSkip, median, nowMs, readSpec } from '../lib/common.mjs';

const spec = readSpec();

const core = await import('@sbert/core');
const { SentenceTransformer, initBackend, tf } = core;
const backend = await initBackend({ backend: spec.backend ?? 'wasm' });

/** The wasm backend module that @sbert/core loaded (same resolved file, same instance). */
async function wasmThreads() {
  if (backend.choice !== 'wasm') return null;
  try {
    const require = createRequire(path.join(CORE_DIR, 'package.json'));
    const wasm = await import(pathToFileURL(require.resolve('@tensorflow/tfjs-backend-wasm')).href);
    return wasm.getThreadsCount();
  } catch {
    return null;
  }
}

const info = {
  backend: { choice: backend.choice, tf_backend: backend.tfBackend, fixes: backend.fixes, threads: await wasmThreads() },
};

/** `spec.workers` > 1: EncodePool (one wasm backend per worker thread); the pool spreads the
 * batches of one encode() call over the workers, so the latencies are each batch's share of the
 * wall time of the whole timed run. */
async function pooledEncodeCase() {
  const pool = await core.EncodePool.open(spec.modelDir, { workers: spec.workers, backend: backend.choice, maxSeqLength: spec.maxSeqLength });
  const batches = spec.batches;
  await pool.encode(batches.slice(0, Math.max(spec.warmup, spec.workers)).flat(), { batchSize: spec.batchSize });
  const t0 = nowMs();
  const rows = await pool.encode(batches.flat(), { batchSize: spec.batchSize });
  const total = nowMs() - t0;
  await pool.close();
  if (rows.length !== batches.flat().length) throw new Error('pool returned the wrong number of rows');
  emit({ status: 'ok', ...info, workers: spec.workers, latency_is_share_of_total: true, latencies_ms: batches.map(() => total / batches.length) });
}

async function encodeCase() {
  if (spec.workers > 1) return pooledEncodeCase();
  const model = await SentenceTransformer.load(spec.modelDir, { backend: backend.choice, maxSeqLength: spec.maxSeqLength });
  const batches = spec.batches;
  for (const b of batches.slice(0, spec.warmup)) await model.encode(b, { batchSize: spec.batchSize });
  const latencies = [];
  let paddedTokens = 0;
  for (const b of batches) {
    const t0 = nowMs();
    await model.encode(b, { batchSize: spec.batchSize });
    latencies.push(nowMs() - t0);
    paddedTokens += b.length * model.tokenize(b).seqLength; // outside the timed region
  }
  const tensors = tf.memory().numTensors;
  model.dispose();
  emit({ status: 'ok', ...info, latencies_ms: latencies, padded_tokens: paddedTokens, tensors_after: tensors });
}

async function agreementCase() {
  const model = await SentenceTransformer.load(spec.modelDir, { backend: backend.choice, maxSeqLength: spec.maxSeqLength });
  const emb = await model.encode(spec.texts, { batchSize: 32 });
  writeFileSync(spec.out, JSON.stringify(emb.map((e) => Array.from(e))));
  model.dispose();
  emit({ status: 'ok', ...info, rows: emb.length });
}

async function trainCase() {
  if (!existsSync(PATHS.trainerDist)) {
    emitSkip(`${path.relative(process.cwd(), PATHS.trainerDist)} is missing: run \`pnpm build\` in apps/trainer`);
    return;
  }
  const { batchGradients } = await import(pathToFileURL(PATHS.trainerDist).href);
  const { DataParallel } = await import(pathToFileURL(path.join(path.dirname(PATHS.trainerDist), 'data-parallel.js')).href);
  const { AdamW } = await import(pathToFileURL(path.join(path.dirname(PATHS.trainerDist), 'adamw.js')).href);
  const losses = await import('@sbert/losses');
  const model = spec.shape === 'minilm'
    ? await SentenceTransformer.load(spec.modelDir, { backend: backend.choice, maxSeqLength: spec.maxSeqLength })
    : await SentenceTransformer.create({ ...spec.tinyShape, tokenizer: spec.modelDir, maxSeqLength: spec.maxSeqLength, seed: 42 });
  const loss = spec.loss === 'cosent' ? new losses.CoSENTLoss() : new losses.MultipleNegativesRankingLoss();
  const optimizer = new AdamW([...model.trainableWeights(), ...loss.trainableWeights()], { lr: spec.lr, weightDecay: spec.weightDecay });
  // A small weight to read back at the end of each step (wasm runs ops synchronously; this also covers async backends).
  // spec.workers > 1: the trainer's --data-parallel (each worker back-propagates its rows).
  const parallel = spec.workers > 1 ? await DataParallel.open(model, { workers: spec.workers, backend: backend.choice }) : undefined;
  const probe = model.trainableWeights().reduce((a, b) => (b.variable.size < a.variable.size ? b : a)).variable;
  const stepSeconds = [];
  const lossValues = [];
  const paddedLengths = [];
  const breakdown = [];
  for (const [i, step] of spec.steps.entries()) {
    const t0 = nowMs();
    const labels = step.labels ? tf.tensor1d(step.labels) : undefined;
    const batch = { columns: step.columns, ...(labels ? { labels } : {}) };
    const { loss: value, grads } = parallel
      ? await parallel.batchGradients(loss, batch, { training: true, seed: 42 + i, keepModelGradients: true })
      : batchGradients(model, loss, batch, { training: true, seed: 42 + i });
    labels?.dispose();
    const tGrads = nowMs();
    // Clipping (max_grad_norm) happens inside AdamW's fused update, as in the trainer.
    // With workers, as the trainer does: clipping and AdamW run in the workers over their shares of the parameters.
    if (parallel) await parallel.applyOptimizer(optimizer, grads, { maxGradNorm: spec.maxGradNorm });
    else optimizer.apply(grads, { maxGradNorm: spec.maxGradNorm });
    tf.dispose([...grads.values()]);
    probe.dataSync(); // the step is complete when the weights can be read
    const tEnd = nowMs();
    const dt = (tEnd - t0) / 1000;
    // Where the step's time went (ms): gradients (forward + loss + backward), clipping, AdamW;
    // with workers also the data-parallel split (main thread and each worker).
    breakdown.push({ gradients: tGrads - t0, clip_and_adamw: tEnd - tGrads, ...(parallel ? { data_parallel: parallel.lastTimings } : {}) });
    if (i >= spec.warmup) stepSeconds.push(dt);
    lossValues.push(value);
    paddedLengths.push(step.columns.map((c) => model.tokenize(c).seqLength));
  }
  const parameters = model.trainableWeights().reduce((n, w) => n + w.variable.size, 0);
  await parallel?.close();
  optimizer.dispose();
  model.dispose();
  emit({ status: 'ok', ...info, workers: spec.workers ?? 1, step_seconds: stepSeconds, median_step_seconds: median(stepSeconds), losses: lossValues, padded_lengths: paddedLengths, parameters, step_breakdown_ms: breakdown });
}

async function peakCase() {
  const n = spec.size;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const times = [];
  for (let r = 0; r < spec.warmup + spec.reps; r++) {
    const t0 = nowMs();
    const c = tf.matMul(a, b);
    c.dataSync();
    const dt = nowMs() - t0;
    c.dispose();
    if (r >= spec.warmup) times.push(dt / 1000);
  }
  a.dispose();
  b.dispose();
  const best = Math.min(...times);
  const flops = 2 * n * n * n;
  emit({
    status: 'ok',
    ...info,
    peaks: [{ name: 'tfjs-wasm', engine: `TF.js ${backend.tfBackend} matMul`, threads: info.backend.threads, size: n, seconds: times, gflops_best: flops / best / 1e9, gflops_median: flops / median(times) / 1e9 }],
  });
}

const run = { encode: encodeCase, agreement: agreementCase, train: trainCase, peak: peakCase }[spec.kind];
if (!run) throw new Error(`unknown case kind '${spec.kind}'`);
await run();
