import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from './backend.js';
import { ConfigError, InputError } from './errors.js';
import type { Features, ForwardOptions, Module, NamedWeight } from './module.js';
import { Dense } from './modules/dense.js';
import { l2Normalize, Normalize } from './modules/normalize.js';
import { Pooling, type PoolingMode } from './modules/pooling.js';
import { Transformer, type BertConfig } from './modules/transformer.js';
import { OnnxEncoder, type OnnxSessionOptions } from './onnx/onnx-session.js';
import { ProgressBar } from './progress.js';
import { quantizeEmbeddings, type Precision, type QuantizeOptions, type QuantizedRow } from './quantization.js';
import { writeDirAtomic } from './serialization/atomic.js';
import { readJsonFile, readJsonFileIfExists, type JsonObject } from './serialization/json.js';
import { checkSimilarityFunction, similarity, type EmbeddingsLike, type SimilarityFunction } from './similarity.js';
import { SentenceTokenizer, type TextInput, type TokenizedBatch } from './tokenizer.js';

/** The package version written into config_sentence_transformers.json. */
export const VERSION = '0.0.0';

interface ModuleEntry {
  idx: number;
  name: string;
  path: string;
  type: string;
}

/** Module loaders by class name (the last segment of the type path in modules.json). */
const LOADERS: Record<string, (dir: string, options: LoadOptions) => Promise<Module>> = {
  Transformer: (dir, o) => Transformer.load(dir, o.maxSeqLength === undefined ? {} : { maxSeqLength: o.maxSeqLength }),
  Pooling: (dir) => Pooling.load(dir),
  Dense: (dir) => Dense.load(dir),
  Normalize: () => Normalize.load(),
};

export interface LoadOptions {
  /**
   * TensorFlow.js backend to initialise first (default: automatic, see initBackend), or `onnx`:
   * encode() runs in onnxruntime-node (optional peer dependency) on `<dir>/onnx/model.onnx`, or on
   * the model exported to memory when that file does not exist. An `onnx` model only encodes.
   */
  backend?: BackendChoice | 'onnx';
  /** With `backend: 'onnx'`: a file in `<dir>/onnx/` (e.g. `model_qint8.onnx`) or an absolute path. */
  onnxFile?: string;
  /** With `backend: 'onnx'`: onnxruntime session options (threads, optimisation level). */
  onnxSessionOptions?: OnnxSessionOptions;
  /** Pooling for a plain Hugging Face checkpoint without modules.json. Default `mean`, as ST. */
  pooling?: PoolingMode | PoolingMode[];
  /** Overrides the saved max_seq_length. */
  maxSeqLength?: number;
}

export interface EncodeOptions {
  /** Default 32. */
  batchSize?: number;
  /** L2-normalise the embeddings (after truncateDim). Default false. */
  normalize?: boolean;
  /** Keep only the first `truncateDim` dimensions (before normalisation). */
  truncateDim?: number;
  /** Default float32. Other precisions quantise over the whole set at the end, as ST. */
  precision?: Precision;
  /** Ranges / calibration for int8 and uint8. */
  quantization?: QuantizeOptions;
  /** Draw a progress bar on stderr. */
  showProgress?: boolean;
  /** Text prepended to every input. */
  prompt?: string;
  /** Name of a prompt in the model's `prompts`. */
  promptName?: string;
}

export interface ModelCardConfig {
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  similarityFnName: SimilarityFunction | null;
}

/** Model shapes for training from scratch (BERT hyper-parameters). */
export interface BertShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositionEmbeddings?: number;
}

export interface CreateOptions extends BertShape {
  /** A tokenizer, or a directory holding tokenizer.json or vocab.txt. */
  tokenizer: SentenceTokenizer | string;
  maxSeqLength?: number;
  doLowerCase?: boolean;
  pooling?: PoolingMode | PoolingMode[];
  normalize?: boolean;
  /** Seed of the random initialisation. Default 42. */
  seed?: number;
  hiddenAct?: string;
  dropout?: number;
}

/**
 * A Sentence-BERT model: an ordered list of modules (Transformer → Pooling → Dense? →
 * Normalize?) that maps texts to fixed-size embeddings. Loads and saves the
 * sentence-transformers directory format.
 *
 * ```ts
 * const model = await SentenceTransformer.load('models/all-MiniLM-L6-v2');
 * const [a, b] = await model.encode(['A man is eating.', 'Someone eats.']); // Float32Array(384) each
 * model.similarity([a], [b]); // [[0.71...]]
 * model.dispose();
 * ```
 */
export class SentenceTransformer {
  readonly modules: Module[];
  readonly card: ModelCardConfig;
  /** Set by `load(dir, { backend: 'onnx' })`: the forward pass runs in onnxruntime. */
  private onnx: OnnxEncoder | undefined;

  constructor(modules: Module[], card: Partial<ModelCardConfig> = {}) {
    if (modules.length === 0) throw new ConfigError('a SentenceTransformer needs at least one module');
    this.modules = modules;
    this.card = { prompts: card.prompts ?? {}, defaultPromptName: card.defaultPromptName ?? null, similarityFnName: card.similarityFnName ?? null };
  }

  /** The first module, which owns the tokenizer. */
  get transformer(): Transformer {
    const t = this.modules[0];
    if (!(t instanceof Transformer)) throw new ConfigError('the first module is not a Transformer');
    return t;
  }

  get tokenizer(): SentenceTokenizer {
    return this.transformer.tokenizer;
  }

  get maxSeqLength(): number {
    return this.transformer.maxSeqLength;
  }

  /** The similarity function of the model (`cosine` unless the model says otherwise). */
  get similarityFnName(): SimilarityFunction {
    return this.card.similarityFnName ?? 'cosine';
  }

  /** Output dimension of the sentence embedding. */
  getSentenceEmbeddingDimension(): number {
    for (let i = this.modules.length - 1; i >= 0; i--) {
      const m = this.modules[i]!;
      if (m instanceof Dense) return m.outFeatures;
      if (m instanceof Pooling) return m.outputDimension;
    }
    return this.transformer.hiddenSize;
  }

  /** Where the forward pass of encode() runs: TensorFlow.js, or onnxruntime (`backend: 'onnx'`). */
  get runtime(): 'tfjs' | 'onnx' {
    return this.onnx ? 'onnx' : 'tfjs';
  }

  /** Throws for what an ONNX-loaded model cannot do (it has no TF.js encoder weights). */
  private requireTfjs(what: string): void {
    if (this.onnx) {
      throw new ConfigError(`${what} needs the TensorFlow.js model; this model was loaded with backend 'onnx', which only encodes (load it without backend 'onnx' to train, run forward or save)`, { field: 'backend' });
    }
  }

  /** Tokenizes texts or pairs exactly as ST (strip, lower-case, truncate, pad). */
  tokenize(inputs: readonly TextInput[]): TokenizedBatch {
    return this.transformer.tokenize(inputs);
  }

  /** Makes the int32 input tensors of a tokenized batch (the caller disposes them). */
  static toFeatures(batch: TokenizedBatch): Features {
    const shape: [number, number] = [batch.batchSize, batch.seqLength];
    return {
      inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
      attentionMaskValues: batch.attentionMask,
      tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    };
  }

  /**
   * Runs every module. Differentiable: the trainer calls it inside a gradient computation.
   * The returned features share the input tensors; new tensors belong to the caller.
   */
  forward(features: Features, options: ForwardOptions = {}): Features {
    this.requireTfjs('forward()');
    // Intermediate tensors are freed; the inputs (created outside) stay with their owner.
    return tf.tidy(() => {
      let f = features;
      for (const m of this.modules) f = m.forward(f, options);
      return f as unknown as tf.TensorContainerObject;
    }) as unknown as Features;
  }

  /** Sentence embeddings (B, D) of a batch of texts, as a tensor (for training code). */
  embed(texts: readonly TextInput[], options: ForwardOptions = {}): tf.Tensor2D {
    this.requireTfjs('embed()');
    return this.embedBatch(this.tokenize(texts), options);
  }

  /** Sentence embeddings (B, D) of a tokenized batch through the TF.js modules. */
  private embedBatch(batch: TokenizedBatch, options: ForwardOptions = {}): tf.Tensor2D {
    const features = SentenceTransformer.toFeatures(batch);
    try {
      const out = this.forward(features, options);
      out.tokenEmbeddings?.dispose();
      return out.sentenceEmbedding!;
    } finally {
      features.inputIds.dispose();
      features.attentionMask.dispose();
      features.tokenTypeIds?.dispose();
    }
  }

  /**
   * Encodes texts into embeddings with ST's order of operations: sort by length (longest
   * first), pad per batch, forward, truncate to `truncateDim`, normalise, restore the input
   * order, then quantise if a precision is given. One string gives one row; an array gives
   * one row per text (an empty array gives []).
   */
  async encode(texts: string, options?: EncodeOptions & { precision?: 'float32' }): Promise<Float32Array>;
  async encode(texts: readonly string[], options?: EncodeOptions & { precision?: 'float32' }): Promise<Float32Array[]>;
  async encode(texts: string | readonly string[], options?: EncodeOptions): Promise<QuantizedRow | QuantizedRow[]>;
  async encode(texts: string | readonly string[], options: EncodeOptions = {}): Promise<QuantizedRow | QuantizedRow[]> {
    const single = typeof texts === 'string';
    const list = single ? [texts] : texts;
    if (!Array.isArray(list)) throw new InputError(`encode expects a string or an array of strings, got ${typeof texts}`);
    list.forEach((t, i) => {
      if (typeof t !== 'string') throw new InputError(`encode: item ${i} is ${t === null ? 'null' : typeof t}; expected a string`);
    });
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
    const dim = this.getSentenceEmbeddingDimension();
    const truncateDim = options.truncateDim;
    if (truncateDim !== undefined && (!Number.isInteger(truncateDim) || truncateDim < 1)) {
      throw new InputError(`truncateDim must be a positive integer, got ${truncateDim}`);
    }
    const outDim = Math.min(dim, truncateDim ?? dim);
    let prompt = options.prompt;
    if (prompt === undefined) {
      const name = options.promptName ?? this.card.defaultPromptName ?? undefined;
      if (name !== undefined && name !== null) {
        prompt = this.card.prompts[name];
        if (prompt === undefined) throw new InputError(`unknown promptName '${name}'; the model has ${Object.keys(this.card.prompts).join(', ') || 'no prompts'}`);
      }
    }
    const inputs = prompt ? list.map((t) => prompt + t) : list;
    // Longest first by character count (code points, like Python's len).
    const lengths = inputs.map((t) => [...t].length);
    const order = inputs.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]!);
    const out: Float32Array[] = new Array(inputs.length);
    const buffer = new Float32Array(inputs.length * outDim);
    const bar = options.showProgress ? new ProgressBar(inputs.length, 'encode ') : undefined;
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const batch = this.tokenize(idx.map((i) => inputs[i]!));
      // The forward pass of one batch, in TF.js or onnxruntime; the rest is the same for both.
      const sentence = this.onnx ? await this.onnx.sentenceEmbedding(batch, this.modules.slice(1)) : this.embedBatch(batch);
      const emb = tf.tidy(() => {
        let e = sentence;
        if (outDim < dim) e = e.slice([0, 0], [-1, outDim]);
        if (options.normalize) e = l2Normalize(e);
        return e;
      });
      const values = (await emb.data()) as Float32Array;
      tf.dispose([sentence, emb]);
      idx.forEach((original, row) => {
        const target = buffer.subarray(original * outDim, (original + 1) * outDim);
        target.set(values.subarray(row * outDim, (row + 1) * outDim));
        out[original] = target;
      });
      bar?.tick(idx.length);
    }
    bar?.finish();
    const precision = options.precision ?? 'float32';
    const result = precision === 'float32' ? out : quantizeEmbeddings(out, precision, options.quantization);
    return single ? result[0]! : result;
  }

  /** `similarity(a, b)` with the model's similarity function: result[i][j]. */
  similarity(a: EmbeddingsLike, b: EmbeddingsLike, fn?: SimilarityFunction): number[][] {
    return similarity(a, b, fn ?? this.similarityFnName);
  }

  trainableWeights(): NamedWeight[] {
    this.requireTfjs('trainableWeights()');
    return this.modules.flatMap((m, i) => m.trainableWeights().map((w) => ({ name: i === 0 ? w.name : `${i}.${w.name}`, variable: w.variable })));
  }

  /** Frees the weights (and the onnxruntime session of an ONNX-loaded model). */
  dispose(): void {
    for (const m of this.modules) m.dispose();
    // Released, not dropped: encode() on a disposed ONNX model then says so.
    this.onnx?.release().catch(() => {});
  }

  /** Writes the sentence-transformers directory format, atomically. */
  async save(dir: string): Promise<void> {
    this.requireTfjs('save()');
    await writeDirAtomic(dir, async (tmp) => {
      const entries: ModuleEntry[] = [];
      for (const [idx, m] of this.modules.entries()) {
        const rel = idx === 0 && m instanceof Transformer ? '' : `${idx}_${m.folderName}`;
        await m.save(path.join(tmp, rel));
        entries.push({ idx, name: String(idx), path: rel, type: m.type });
      }
      await fs.writeFile(path.join(tmp, 'modules.json'), JSON.stringify(entries, null, 2));
      const card = {
        model_type: 'SentenceTransformer',
        __version__: { sbert_js: VERSION },
        prompts: this.card.prompts,
        default_prompt_name: this.card.defaultPromptName,
        similarity_fn_name: this.similarityFnName,
      };
      await fs.writeFile(path.join(tmp, 'config_sentence_transformers.json'), JSON.stringify(card, null, 2));
    });
  }

  /**
   * Loads a sentence-transformers directory (modules.json), a legacy layout with the
   * Transformer in a subfolder, or a plain Hugging Face checkpoint (Transformer + mean
   * pooling, as ST does when there is no modules.json). With `backend: 'onnx'`, encode() runs in
   * onnxruntime (see LoadOptions and onnx/onnx-session.ts) and the model only encodes.
   */
  static async load(dir: string, options: LoadOptions = {}): Promise<SentenceTransformer> {
    const backend = options.backend;
    if (backend !== 'onnx') return SentenceTransformer.loadTfjs(dir, { ...options, backend });
    // ONNX: the TF.js model supplies tokenizer, configs and head modules (and the export when
    // there is no ONNX file); its encoder weights are freed once the session exists.
    const model = await SentenceTransformer.loadTfjs(dir, { ...options, backend: undefined });
    try {
      model.onnx = await OnnxEncoder.forModel(model, dir, options);
    } catch (error) {
      model.dispose();
      throw error;
    }
    model.transformer.dispose();
    return model;
  }

  private static async loadTfjs(dir: string, options: Omit<LoadOptions, 'backend'> & { backend?: BackendChoice | undefined }): Promise<SentenceTransformer> {
    await initBackend(options.backend === undefined ? {} : { backend: options.backend });
    if (!existsSync(dir)) throw new ConfigError(`${dir}: model directory not found`, { file: dir });
    const modulesFile = path.join(dir, 'modules.json');
    const card = await readCard(path.join(dir, 'config_sentence_transformers.json'));
    const modules: Module[] = [];
    try {
      if (!existsSync(modulesFile)) {
        const transformer = await Transformer.load(dir, options.maxSeqLength === undefined ? {} : { maxSeqLength: options.maxSeqLength });
        modules.push(transformer, new Pooling(transformer.hiddenSize, { modes: options.pooling ?? 'mean' }));
        return new SentenceTransformer(modules, card);
      }
      for (const entry of await readModulesJson(modulesFile)) {
        const className = entry.type.split('.').pop()!;
        const loader = LOADERS[className];
        if (!loader) {
          throw new ConfigError(`${modulesFile}: module ${entry.idx} has unsupported type '${entry.type}'; supported: ${Object.keys(LOADERS).join(', ')}`, { file: modulesFile, field: `[${entry.idx}].type` });
        }
        modules.push(await loader(path.join(dir, entry.path), options));
      }
      return new SentenceTransformer(modules, card);
    } catch (error) {
      for (const m of modules) m.dispose();
      throw error;
    }
  }

  /**
   * A randomly initialised BERT + Pooling (+ Normalize) model of a given shape, seeded, for
   * training from scratch.
   */
  static async create(options: CreateOptions): Promise<SentenceTransformer> {
    await initBackend();
    const maxSeqLength = options.maxSeqLength ?? 128;
    const tokenizer = typeof options.tokenizer === 'string'
      ? await SentenceTokenizer.fromDirectory(options.tokenizer, { maxSeqLength, doLowerCase: options.doLowerCase ?? false })
      : options.tokenizer;
    const dropout = options.dropout ?? 0.1;
    const config: BertConfig = {
      vocabSize: tokenizer.vocabSize,
      hiddenSize: options.hidden,
      numHiddenLayers: options.layers,
      numAttentionHeads: options.heads,
      intermediateSize: options.intermediate,
      hiddenAct: options.hiddenAct ?? 'gelu',
      maxPositionEmbeddings: options.maxPositionEmbeddings ?? 512,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenDropoutProb: dropout,
      attentionProbsDropoutProb: dropout,
      padTokenId: tokenizer.padTokenId,
    };
    if (config.hiddenSize % config.numAttentionHeads !== 0) {
      throw new ConfigError(`hidden ${config.hiddenSize} is not a multiple of heads ${config.numAttentionHeads}`, { field: 'heads' });
    }
    const transformer = new Transformer(config, tokenizer, { maxSeqLength, doLowerCase: options.doLowerCase ?? false, seed: options.seed ?? 42 });
    const modules: Module[] = [transformer, new Pooling(config.hiddenSize, { modes: options.pooling ?? 'mean' })];
    if (options.normalize) modules.push(new Normalize());
    return new SentenceTransformer(modules);
  }
}

async function readModulesJson(file: string): Promise<ModuleEntry[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: invalid JSON (${(error as Error).message})`, { file }, { cause: error });
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError(`${file}: expected a non-empty JSON array of modules`, { file });
  return raw.map((e: unknown, i: number) => {
    const entry = e as Partial<ModuleEntry>;
    if (typeof entry !== 'object' || entry === null || typeof entry.type !== 'string' || typeof entry.path !== 'string') {
      throw new ConfigError(`${file}: entry ${i} needs string 'type' and 'path' fields, got ${JSON.stringify(e)}`, { file, field: `[${i}]` });
    }
    return { idx: typeof entry.idx === 'number' ? entry.idx : i, name: String(entry.name ?? i), path: entry.path, type: entry.type };
  });
}

async function readCard(file: string): Promise<Partial<ModelCardConfig>> {
  const raw: JsonObject | undefined = await readJsonFileIfExists(file);
  if (!raw) return {};
  const out: Partial<ModelCardConfig> = {};
  if (raw['prompts'] && typeof raw['prompts'] === 'object') out.prompts = raw['prompts'] as Record<string, string>;
  if (typeof raw['default_prompt_name'] === 'string') out.defaultPromptName = raw['default_prompt_name'];
  const fn = raw['similarity_fn_name'];
  if (typeof fn === 'string') {
    try {
      out.similarityFnName = checkSimilarityFunction(fn);
    } catch {
      throw new ConfigError(`${file}: similarity_fn_name '${fn}' is not one of cosine, dot, euclidean, manhattan`, { file, field: 'similarity_fn_name' });
    }
  }
  return out;
}

