/**
 * `exportOnnx(model, target)`: writes a SentenceTransformer's whole pipeline — Transformer (any
 * architecture core loads), Pooling (every mode), Dense, Normalize — as one ONNX graph (opset 17),
 * like sentence-transformers' `backend="onnx"` export:
 * - inputs `input_ids`, `attention_mask` (+ `token_type_ids` for BERT), int64 (batch, sequence);
 * - outputs `last_hidden_state` (batch, sequence, D) — the name optimum and ST read — and
 *   `sentence_embedding` (batch, D′) when the model has a Pooling module;
 * - weights as float32 initializers, Linear weights pre-transposed to (in, out);
 * - with `quantize: 'int8'`, the encoder's Linear weights in int8 with dynamic activation
 *   quantisation (see quantize.ts); embeddings, LayerNorm and the head stay float.
 *
 * The default file inside a model directory is `onnx/model.onnx` (`onnx/model_qint8.onnx` when
 * quantised), the layout ST uses, which `SentenceTransformer.load(dir, { backend: 'onnx' })`
 * picks up.
 */
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { Dense } from '../modules/dense.js';
import { Normalize } from '../modules/normalize.js';
import { Pooling } from '../modules/pooling.js';
import { Transformer } from '../modules/transformer.js';
import type { SentenceTransformer } from '../sentence-transformer.js';
import { writeFileAtomic } from '../serialization/atomic.js';
import { addEncoder, usesTokenTypeIds } from './encoder-graph.js';
import { GraphBuilder, ONNX_TYPE } from './graph-builder.js';
import { addDense, addNormalize, addPooling } from './head-graph.js';
import type { Int8QuantizeOptions } from './quantize.js';

export interface ExportOnnxOptions extends Int8QuantizeOptions {
  /** `int8`: dynamic int8 quantisation of the encoder's MatMul weights. Default: float32. */
  quantize?: 'int8';
}

/** Graph input and output names (those of optimum / sentence-transformers exports). */
export const ONNX_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const ONNX_TOKEN_OUTPUT = 'last_hidden_state';
export const ONNX_SENTENCE_OUTPUT = 'sentence_embedding';

/** The file name ST uses for a model in `<dir>/onnx/`. */
export function onnxFileName(options: ExportOnnxOptions = {}): string {
  return options.quantize === 'int8' ? 'model_qint8.onnx' : 'model.onnx';
}

/** Protobuf messages cannot exceed 2 GiB. */
const MAX_PROTO_BYTES = 2 ** 31 - 1;

/** The ONNX model bytes of `model` (see the file comment). The model must be a TF.js model. */
export function exportOnnxBuffer(model: SentenceTransformer, options: ExportOnnxOptions = {}): Uint8Array {
  if (options.quantize !== undefined && options.quantize !== 'int8') {
    throw new ConfigError(`quantize must be 'int8' or left out, got ${JSON.stringify(options.quantize)}`, { field: 'quantize' });
  }
  if (model.runtime === 'onnx') throw new ConfigError("ONNX export needs the TensorFlow.js model; this model was loaded with backend 'onnx'", { field: 'backend' });
  const [first, ...rest] = model.modules;
  if (!(first instanceof Transformer)) throw new ConfigError('ONNX export: the first module must be a Transformer');
  const g = new GraphBuilder(17);
  const dims = ['batch', 'sequence'];
  g.input('input_ids', ONNX_TYPE.INT64, dims);
  g.input('attention_mask', ONNX_TYPE.INT64, dims);
  if (usesTokenTypeIds(first)) g.input('token_type_ids', ONNX_TYPE.INT64, dims);

  const tokens = addEncoder(g, first, options.quantize === 'int8' ? { int8: { perChannel: options.perChannel ?? true, reduceRange: options.reduceRange ?? false } } : {});
  g.node('Identity', [tokens], {}, ONNX_TOKEN_OUTPUT);
  g.output(ONNX_TOKEN_OUTPUT, ONNX_TYPE.FLOAT, ['batch', 'sequence', first.hiddenSize]);

  let sentence: string | undefined;
  rest.forEach((m, i) => {
    const index = i + 1;
    if (m instanceof Pooling) sentence = addPooling(g, m, tokens);
    else if (m instanceof Dense || m instanceof Normalize) {
      if (!sentence) throw new ConfigError(`ONNX export: module ${index} (${m.type}) needs a Pooling module before it`);
      sentence = m instanceof Dense ? addDense(g, m, sentence, index) : addNormalize(g, sentence);
    } else {
      throw new ConfigError(`ONNX export: module ${index} (${m.type}) is not supported; supported after the Transformer: Pooling, Dense, Normalize`);
    }
  });
  if (sentence) {
    g.node('Identity', [sentence], {}, ONNX_SENTENCE_OUTPUT);
    g.output(ONNX_SENTENCE_OUTPUT, ONNX_TYPE.FLOAT, ['batch', model.getSentenceEmbeddingDimension()]);
  }
  const bytes = g.toBytes({
    producerName: '@sbert/core',
    docString: `sentence-transformers pipeline: ${model.modules.map((m) => m.type.split('.').pop()).join(' → ')}`,
    metadata: {
      max_seq_length: String(first.maxSeqLength),
      model_type: first.config.modelType ?? 'bert',
      ...(options.quantize ? { quantization: `int8 dynamic, ${options.perChannel ?? true ? 'per-channel' : 'per-tensor'}${options.reduceRange ? ', reduce-range' : ''}` } : {}),
    },
  });
  if (bytes.length > MAX_PROTO_BYTES) {
    throw new ConfigError(`ONNX export: the model needs ${bytes.length} bytes, above the 2 GiB limit of a single ONNX file`);
  }
  return bytes;
}

/**
 * Writes the ONNX model of `model` (see the file comment) atomically. `target` is a `.onnx` file,
 * or a model directory, which receives `onnx/model.onnx` (`onnx/model_qint8.onnx` for int8).
 * Returns the path written.
 *
 * ```ts
 * const model = await SentenceTransformer.load('models/all-MiniLM-L6-v2');
 * await exportOnnx(model, 'models/all-MiniLM-L6-v2'); // → models/all-MiniLM-L6-v2/onnx/model.onnx
 * ```
 */
export async function exportOnnx(model: SentenceTransformer, target: string, options: ExportOnnxOptions = {}): Promise<string> {
  const file = target.endsWith('.onnx') ? target : path.join(target, 'onnx', onnxFileName(options));
  await writeFileAtomic(file, exportOnnxBuffer(model, options));
  return file;
}
