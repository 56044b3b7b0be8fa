// transformers.js (@huggingface/transformers on onnxruntime-node) side of the suite, on the ONNX
// export of all-MiniLM-L6-v2 (.cache/models/all-MiniLM-L6-v2-onnx, see bench/README.md).
//   node bench/suite/cases/transformersjs.mjs <spec.json>     spec.kind: 'encode' | 'agreement' | 'peak'
//
// Encoding runs the feature-extraction pipeline's own steps (tokenizer → model → mean_pooling →
// normalize, as pipeline(..., { pooling: 'mean', normalize: true }) does) with the tokenizer's
// truncation at spec.maxSeqLength: the pipeline call itself truncates at the tokenizer's
// model_max_length (512), not at ST's max_seq_length, and has no option to change it.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emit, emitSkip, median, nowMs, readSpec } from '../lib/common.mjs';
import { matMulModel } from '../lib/onnx-matmul.mjs';

const spec = readSpec();

async function peakCase() {
  const ort = (await import('onnxruntime-node')).default;
  const n = spec.size;
  const peaks = [];
  for (const threads of spec.threads) {
    const session = await ort.InferenceSession.create(matMulModel(n, n, n), threads === 0 ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const data = () => Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
    const feeds = { A: new ort.Tensor('float32', data(), [n, n]), B: new ort.Tensor('float32', data(), [n, n]) };
    const times = [];
    for (let r = 0; r < spec.warmup + spec.reps; r++) {
      const t0 = nowMs();
      await session.run(feeds);
      const dt = nowMs() - t0;
      if (r >= spec.warmup) times.push(dt / 1000);
    }
    await session.release();
    const flops = 2 * n * n * n;
    peaks.push({
      name: threads === 0 ? 'ort-node' : `ort-node-${threads}t`,
      engine: 'onnxruntime-node MatMul',
      threads: threads === 0 ? 'default (all cores)' : threads,
      size: n,
      seconds: times,
      gflops_best: flops / Math.min(...times) / 1e9,
      gflops_median: flops / median(times) / 1e9,
    });
  }
  emit({ status: 'ok', backend: { runtime: 'onnxruntime-node' }, peaks });
}

async function loadPipeline() {
  if (!existsSync(path.join(spec.modelDir, 'onnx', 'model.onnx'))) {
    emitSkip(`${spec.modelDir}/onnx/model.onnx is missing: run the ONNX export (see bench/README.md)`);
    return undefined;
  }
  const { pipeline, env, mean_pooling } = await import('@huggingface/transformers');
  env.localModelPath = path.dirname(spec.modelDir);
  env.allowRemoteModels = false;
  const extractor = await pipeline('feature-extraction', path.basename(spec.modelDir), { dtype: 'fp32', device: 'cpu' });
  const encode = async (texts) => {
    const inputs = extractor.tokenizer(texts, { padding: true, truncation: true, max_length: spec.maxSeqLength });
    const out = await extractor.model(inputs);
    const pooled = mean_pooling(out.last_hidden_state, inputs.attention_mask).normalize(2, -1);
    return { data: pooled.data, dims: pooled.dims, seqLength: inputs.input_ids.dims[1] };
  };
  return { extractor, encode };
}

async function encodeCase() {
  const p = await loadPipeline();
  if (!p) return;
  for (const b of spec.batches.slice(0, spec.warmup)) await p.encode(b);
  const latencies = [];
  let paddedTokens = 0;
  for (const b of spec.batches) {
    const t0 = nowMs();
    const r = await p.encode(b);
    latencies.push(nowMs() - t0);
    paddedTokens += b.length * r.seqLength;
  }
  await p.extractor.dispose();
  emit({ status: 'ok', backend: { runtime: 'onnxruntime-node', device: 'cpu', threads: 'onnxruntime default' }, latencies_ms: latencies, padded_tokens: paddedTokens });
}

async function agreementCase() {
  const p = await loadPipeline();
  if (!p) return;
  const rows = [];
  for (let i = 0; i < spec.texts.length; i += 32) {
    const { data, dims } = await p.encode(spec.texts.slice(i, i + 32));
    for (let r = 0; r < dims[0]; r++) rows.push(Array.from(data.subarray(r * dims[1], (r + 1) * dims[1])));
  }
  // The pipeline call itself, once, to show the steps above are the pipeline's.
  const direct = await p.extractor(spec.texts.slice(0, 4), { pooling: 'mean', normalize: true });
  let maxDiff = 0;
  for (let r = 0; r < 4; r++) for (let j = 0; j < direct.dims[1]; j++) maxDiff = Math.max(maxDiff, Math.abs(direct.data[r * direct.dims[1] + j] - rows[r][j]));
  writeFileSync(spec.out, JSON.stringify(rows));
  await p.extractor.dispose();
  emit({ status: 'ok', backend: { runtime: 'onnxruntime-node' }, rows: rows.length, pipeline_call_max_abs_diff: maxDiff });
}

const run = { encode: encodeCase, agreement: agreementCase, peak: peakCase }[spec.kind];
if (!run) throw new Error(`unknown case kind '${spec.kind}'`);
await run();
