/**
 * One gradient worker of DataParallel: its own TF.js backend and a replica of the model.
 *
 * A step is one `tf.variableGrads` call whose function embeds this worker's rows, hands the
 * embeddings to the main thread, and blocks (Atomics.wait) until the main thread has computed the
 * loss over every worker's rows and written back dL/d(embedding) for these rows; it then returns
 * Σ embedding · upstream, so the backward pass that follows gives exactly this worker's share of
 * the gradient. The forward graph is built once: no replay, no second forward.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SentenceTransformer, initBackend, tf } from '@sbert/core';
import { adamwStep, sumOfSquares } from './adamw.js';
import { addInto, chunkSeed, embedColumns } from './gradients.js';
import { serializeError, type DataParallelWorkerData, type OptimizerRequest, type StepRequest, type WorkerReply } from './data-parallel-messages.js';

const port = parentPort;
if (!port) throw new Error('data-parallel-worker.js must run in a worker thread');
const settings = workerData as DataParallelWorkerData;
const send = (m: WorkerReply): void => port.postMessage(m);

class Aborted extends Error {}

try {
  await initBackend({ backend: settings.backend });
  const model = await SentenceTransformer.load(settings.modelDir, { backend: settings.backend });
  const weights = model.trainableWeights();
  const sizes = weights.map((w) => w.variable.size);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const sharedWeights = new Float32Array(settings.weights);
  const sharedGrads = new Float32Array(settings.grads);
  let version = -1;

  const step = (req: StepRequest): { present: boolean[]; ms: Record<string, number> } => {
    const t0 = performance.now();
    if (req.version !== version) {
      weights.forEach((w, i) => tf.tidy(() => w.variable.assign(tf.tensor(sharedWeights.subarray(offsets[i]!, offsets[i]! + sizes[i]!), w.variable.shape))));
      version = req.version;
    }
    const t1 = performance.now();
    let t2 = 0;
    let t3 = 0;
    const control = new Int32Array(req.control);
    const rows = req.columns[0]!.length;
    /** Hands the embeddings to the main thread and blocks until it wrote dL/d(embedding) back. */
    const exchange = (embeddings: Float32Array[], dim: number): Float32Array => {
      const data = new Float32Array(rows * dim * embeddings.length);
      embeddings.forEach((e, c) => data.set(e, c * rows * dim));
      send({ type: 'embedded', data, dim });
      t2 = performance.now();
      Atomics.wait(control, 0, 0);
      t3 = performance.now();
      if (Atomics.load(control, 0) !== 1) throw new Aborted('step aborted by the main thread');
      return new Float32Array(req.upstream);
    };
    const variables = weights.map((w) => w.variable);
    let grads: tf.NamedTensorMap;
    const mini = req.miniBatchSize;
    if (mini === undefined || mini >= rows) {
      // One graph: embed with the tape, wait for the upstream gradients inside it, back-propagate.
      const result = tf.variableGrads(() => {
        const embeddings = embedColumns(model, req.columns, { training: req.training, dropoutSeed: req.seeds[0]! });
        const dim = embeddings[0]!.shape[1];
        const upstream = exchange(embeddings.map((e) => e.dataSync() as Float32Array), dim);
        return tf.addN(embeddings.map((e, c) => tf.sum(e.mul(tf.tensor2d(upstream.subarray(c * rows * dim, (c + 1) * rows * dim), [rows, dim]))))) as tf.Scalar;
      }, variables);
      result.value.dispose();
      grads = result.grads;
    } else {
      // Gradient caching (as batchGradients): embed in chunks without a graph, exchange, then
      // replay each chunk with a graph (same dropout seeds) and back-propagate its share.
      const chunks = (texts: string[]): string[][] => Array.from({ length: Math.ceil(texts.length / mini) }, (_, k) => texts.slice(k * mini, (k + 1) * mini));
      const seed = (c: number, k: number): number => chunkSeed(req.seeds[c]!, 0, k);
      const embeddings = req.columns.map((texts, c) => {
        const parts = chunks(texts).map((chunk, k) => tf.tidy(() => model.embed(chunk, { training: req.training, dropoutSeed: seed(c, k) })));
        const flat = new Float32Array(parts.reduce((n, e) => n + e.size, 0));
        let at = 0;
        for (const e of parts) {
          flat.set(e.dataSync() as Float32Array, at);
          at += e.size;
        }
        tf.dispose(parts);
        return flat;
      });
      const dim = embeddings[0]!.length / rows;
      const upstream = exchange(embeddings, dim);
      const total = new Map<string, tf.Tensor>();
      req.columns.forEach((texts, c) => {
        chunks(texts).forEach((chunk, k) => {
          const from = (c * rows + k * mini) * dim;
          const up = tf.tensor2d(upstream.subarray(from, from + chunk.length * dim), [chunk.length, dim]);
          const part = tf.variableGrads(() => tf.sum(model.embed(chunk, { training: req.training, dropoutSeed: seed(c, k) }).mul(up)) as tf.Scalar, variables);
          part.value.dispose();
          up.dispose();
          addInto(total, new Map(Object.entries(part.grads)));
        });
      });
      grads = Object.fromEntries(total);
    }
    const t4 = performance.now();
    weights.forEach((w, i) => {
      const g = grads[w.variable.name];
      const target = sharedGrads.subarray(offsets[i]!, offsets[i]! + sizes[i]!);
      if (g) target.set(g.dataSync() as Float32Array);
      else target.fill(0);
    });
    tf.dispose(Object.values(grads));
    const present = weights.map((w) => grads[w.variable.name] !== undefined);
    return { present, ms: { loadWeights: t1 - t0, forward: t2 - t1, waitUpstream: t3 - t2, backward: t4 - t3, copyGrads: performance.now() - t4 } };
  };

  /** Adds every worker's gradients into the first buffer over the segments; returns Σ g² there. */
  const sumGradients = (grads: SharedArrayBuffer[], segments: OptimizerRequest['segments']): number => {
    const [first, ...others] = grads.map((b) => new Float32Array(b));
    let sq = 0;
    for (const { from, to } of segments) {
      const target = first!.subarray(from, to);
      for (const other of others) {
        const src = other.subarray(from, to);
        for (let i = 0; i < target.length; i++) target[i]! += src[i]!;
      }
      sq += sumOfSquares(target);
    }
    return sq;
  };

  const optimize = (req: OptimizerRequest): WorkerReply => {
    if (req.type === 'sum-gradients') return { type: 'summed', sumOfSquares: sumGradients(req.grads, req.segments) };
    if (!req.summed) sumGradients(req.grads, req.segments);
    const g = new Float32Array(req.grads[0]!);
    const p = new Float32Array(req.weights);
    const m = new Float32Array(req.m);
    const v = new Float32Array(req.v);
    for (const { from, to, momentsAt, decay } of req.segments) {
      const n = to - from;
      const weights = p.subarray(from, to);
      adamwStep(weights, weights, g.subarray(from, to), m.subarray(momentsAt, momentsAt + n), v.subarray(momentsAt, momentsAt + n), req.scale, req.step, decay);
    }
    return { type: 'updated' };
  };

  port.on('message', (req: StepRequest | OptimizerRequest) => {
    try {
      send(req.type === 'step' ? { type: 'done', ...step(req) } : optimize(req));
    } catch (error) {
      send({ type: 'error', error: serializeError(error) });
    }
  });
  send({ type: 'ready', names: weights.map((w) => w.name), sizes });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
}
