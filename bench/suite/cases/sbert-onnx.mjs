// @sbert with its ONNX backend (`SentenceTransformer.load(dir, { backend: 'onnx' })`, onnxruntime-node),
// when the built @sbert/core has it; otherwise the case reports itself skipped with the reason.
//   node bench/suite/cases/sbert-onnx.mjs <spec.json>      spec.kind: 'encode' | 'agreement'
import { writeFileSync } from 'node:fs';
import { emit, emitSkip, nowMs, readSpec } from '../lib/common.mjs';

const spec = readSpec();
const core = await import('@sbert/core');
const { SentenceTransformer } = core;

// @sbert's own export: the model directory has no onnx/ folder, so load() exports the whole
// pipeline (encoder, pooling, normalize) to memory, as sentence-transformers exports on first use.
// The ONNX backend is being added to @sbert/core; detect it in the built dist.
if (typeof core.OnnxEncoder !== 'function') {
  emitSkip("the built @sbert/core has no ONNX backend yet (no OnnxEncoder export); rebuild packages/core once it lands");
  process.exit(0);
}

let model;
try {
  model = await SentenceTransformer.load(spec.modelDir, { backend: 'onnx', maxSeqLength: spec.maxSeqLength });
} catch (error) {
  // Not available in this build (or a different API): report, do not fail the suite.
  emitSkip(`SentenceTransformer.load(dir, { backend: 'onnx' }) failed: ${error?.message ?? error}`);
  process.exit(0);
}

const info = { backend: { choice: 'onnx', runtime: model.runtime ?? 'onnx', engine: 'onnxruntime-node', threads: 'onnxruntime default' } };

if (spec.kind === 'encode') {
  for (const b of spec.batches.slice(0, spec.warmup)) await model.encode(b, { batchSize: spec.batchSize });
  const latencies = [];
  for (const b of spec.batches) {
    const t0 = nowMs();
    await model.encode(b, { batchSize: spec.batchSize });
    latencies.push(nowMs() - t0);
  }
  model.dispose?.();
  emit({ status: 'ok', ...info, latencies_ms: latencies });
} else if (spec.kind === 'agreement') {
  const emb = await model.encode(spec.texts, { batchSize: 32 });
  writeFileSync(spec.out, JSON.stringify(emb.map((e) => Array.from(e))));
  model.dispose?.();
  emit({ status: 'ok', ...info, rows: emb.length });
} else {
  throw new Error(`unknown case kind '${spec.kind}'`);
}
