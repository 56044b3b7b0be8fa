/**
 * OnnxEncoder: runs a SentenceTransformer's forward pass in onnxruntime-node (an optional peer
 * dependency, imported only when `backend: 'onnx'` is asked for), like sentence-transformers'
 * `backend="onnx"`.
 *
 * - A graph with a `sentence_embedding` output (our export) gives the embeddings directly.
 * - A graph with only `last_hidden_state` (exported by Python ST / optimum) gives token
 *   embeddings; the model's own Pooling / Dense / Normalize modules run on them afterwards.
 * - Without `<dir>/onnx/<file>`, the TF.js model is exported to memory first, as ST exports
 *   automatically when no ONNX file exists.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { CheckpointError, ConfigError } from '../errors.js';
import type { Features, Module } from '../module.js';
import type { SentenceTransformer } from '../sentence-transformer.js';
import type { TokenizedBatch } from '../tokenizer.js';
import { exportOnnxBuffer, ONNX_INPUTS, ONNX_SENTENCE_OUTPUT, ONNX_TOKEN_OUTPUT } from './export-onnx.js';

/** The onnxruntime session options we pass through. */
export interface OnnxSessionOptions {
  /** Threads inside one operator (default: onnxruntime's choice, the physical cores). */
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /** Default `all`. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Default ['cpu']. */
  executionProviders?: string[];
  /** 0 verbose … 4 fatal. Default 3 (errors only). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface OnnxLoadOptions {
  /** A file in `<dir>/onnx/` (e.g. `model_qint8.onnx`), or an absolute path. Default `model.onnx`. */
  onnxFile?: string;
  onnxSessionOptions?: OnnxSessionOptions;
}

type OrtModule = typeof Ort;
const ORT_PACKAGE = 'onnxruntime-node';

/**
 * Imports onnxruntime-node, or explains how to install it. `specifier` exists for tests.
 */
export async function loadOnnxRuntime(specifier = ORT_PACKAGE): Promise<object> {
  try {
    // A literal specifier for the real package, so that bundlers can see (or externalise) it.
    return specifier === ORT_PACKAGE ? await import('onnxruntime-node') : ((await import(specifier)) as object);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new ConfigError(
      missing
        ? `backend 'onnx' needs the optional peer dependency ${specifier}, which is not installed: run \`ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm i ${specifier}\``
        : `backend 'onnx': ${specifier} could not be loaded (${(error as Error).message})`,
      { field: 'backend' },
      { cause: error },
    );
  }
}

const SUPPORTED_INPUTS: readonly string[] = ONNX_INPUTS;

/** A forward pass in onnxruntime (see the file comment). */
export class OnnxEncoder {
  private constructor(
    private readonly ort: OrtModule,
    private session: Ort.InferenceSession | undefined,
    /** The file the session came from, or `<exported in memory>`. */
    readonly source: string,
    /** Graph inputs and whether each is int64 (else int32). */
    private readonly inputs: { name: string; int64: boolean }[],
    /** The output read: `sentence_embedding`, or `last_hidden_state` (then the head modules run). */
    readonly output: string,
  ) {}

  /** Whether the graph computes sentence embeddings itself (else Pooling etc. run after it). */
  get wholePipeline(): boolean {
    return this.output === ONNX_SENTENCE_OUTPUT;
  }

  /**
   * A session from a model file or from ONNX bytes. Errors name the file: a missing file is a
   * ConfigError, a file onnxruntime cannot load or without the expected inputs / outputs a
   * CheckpointError.
   */
  static async create(source: string | Uint8Array, options: OnnxSessionOptions = {}, label = typeof source === 'string' ? source : '<exported in memory>'): Promise<OnnxEncoder> {
    const ort = (await loadOnnxRuntime()) as OrtModule;
    if (typeof source === 'string' && !existsSync(source)) throw new ConfigError(`${source}: ONNX file not found`, { file: source });
    const sessionOptions: Ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      executionProviders: options.executionProviders ?? ['cpu'],
      logSeverityLevel: options.logSeverityLevel ?? 3,
      ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      ...(options.interOpNumThreads === undefined ? {} : { interOpNumThreads: options.interOpNumThreads }),
    };
    let session: Ort.InferenceSession;
    try {
      session = typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions);
    } catch (error) {
      throw new CheckpointError(`${label}: onnxruntime cannot load this ONNX model (${(error as Error).message.split('\n')[0]})`, label, {}, { cause: error });
    }
    try {
      const names = session.inputNames;
      const unknown = names.filter((n) => !SUPPORTED_INPUTS.includes(n));
      const lacking = ['input_ids', 'attention_mask'].filter((n) => !names.includes(n));
      if (unknown.length || lacking.length) {
        throw new CheckpointError(
          `${label}: the ONNX graph's inputs are [${names.join(', ')}]; expected input_ids and attention_mask (+ token_type_ids)${lacking.length ? `; missing ${lacking.join(', ')}` : ''}${unknown.length ? `; cannot feed ${unknown.join(', ')}` : ''}`,
          label,
        );
      }
      const output = [ONNX_SENTENCE_OUTPUT, ONNX_TOKEN_OUTPUT].find((n) => session.outputNames.includes(n));
      if (!output) {
        throw new CheckpointError(`${label}: the ONNX graph's outputs are [${session.outputNames.join(', ')}]; expected ${ONNX_SENTENCE_OUTPUT} or ${ONNX_TOKEN_OUTPUT}`, label);
      }
      const inputs = names.map((name) => {
        const meta = session.inputMetadata.find((m) => m.name === name);
        return { name, int64: !(meta && meta.isTensor && meta.type === 'int32') };
      });
      return new OnnxEncoder(ort, session, label, inputs, output);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /**
   * The session for a model loaded from `dir`: `<dir>/onnx/<onnxFile>` (default `model.onnx`)
   * when it exists, else the TF.js model exported to memory. A named `onnxFile` that does not
   * exist is an error (nothing is exported in its place).
   */
  static async forModel(model: SentenceTransformer, dir: string, options: OnnxLoadOptions = {}): Promise<OnnxEncoder> {
    const file = path.resolve(dir, 'onnx', options.onnxFile ?? 'model.onnx');
    if (existsSync(file)) return OnnxEncoder.create(file, options.onnxSessionOptions);
    if (options.onnxFile !== undefined) {
      const folder = path.join(dir, 'onnx');
      const found = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.onnx')) : [];
      throw new ConfigError(`${file}: ONNX file not found (${found.length ? `${folder} has ${found.join(', ')}` : `no .onnx files in ${folder}`})`, { file, field: 'onnxFile' });
    }
    return OnnxEncoder.create(exportOnnxBuffer(model), options.onnxSessionOptions);
  }

  /**
   * Runs the graph on one tokenized batch; returns the values and dims of `output` (default:
   * `sentence_embedding` when the graph has it, else `last_hidden_state`).
   */
  async run(batch: TokenizedBatch, output = this.output): Promise<{ data: Float32Array; dims: number[] }> {
    if (!this.session) throw new ConfigError(`${this.source}: the ONNX session was released (the model was disposed)`);
    if (!this.session.outputNames.includes(output)) throw new ConfigError(`${this.source}: the graph has no output '${output}'; it has ${this.session.outputNames.join(', ')}`);
    const dims = [batch.batchSize, batch.seqLength];
    const values: Record<string, Int32Array> = { input_ids: batch.inputIds, attention_mask: batch.attentionMask, token_type_ids: batch.tokenTypeIds };
    const feeds: Record<string, Ort.Tensor> = {};
    for (const { name, int64 } of this.inputs) {
      const v = values[name]!;
      feeds[name] = int64 ? new this.ort.Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), dims) : new this.ort.Tensor('int32', v, dims);
    }
    const result = await this.session.run(feeds, [output]);
    const out = result[output]!;
    return { data: out.data as Float32Array, dims: [...out.dims] };
  }

  /**
   * Sentence embeddings (B, D) of a batch, as a tensor the caller disposes. `head` are the
   * modules after the Transformer; they run (in TF.js) only when the graph ends at the token
   * embeddings.
   */
  async sentenceEmbedding(batch: TokenizedBatch, head: readonly Module[]): Promise<tf.Tensor2D> {
    const { data, dims } = await this.run(batch);
    if (this.wholePipeline) return tf.tensor2d(data, dims as [number, number], 'float32');
    const shape: [number, number] = [batch.batchSize, batch.seqLength];
    return tf.tidy(() => {
      let f: Features = {
        inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
        attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
        tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
        tokenEmbeddings: tf.tensor3d(data, dims as [number, number, number], 'float32'),
      };
      for (const m of head) f = m.forward(f);
      if (!f.sentenceEmbedding) throw new ConfigError(`${this.source}: the graph gives token embeddings and the model has no Pooling module to turn them into sentence embeddings`);
      return f.sentenceEmbedding;
    });
  }

  /** Releases the onnxruntime session (idempotent). */
  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.release();
  }
}
