import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Features, ForwardOptions, Module, NamedWeight } from '../module.js';
import { CheckpointError, ConfigError, InputError } from '../errors.js';
import { checkTensors } from '../serialization/check-tensors.js';
import { readJsonFile, readJsonFileIfExists, type JsonObject } from '../serialization/json.js';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../serialization/safetensors.js';
import { SentenceTokenizer, type TextInput, type TokenizedBatch } from '../tokenizer.js';

/** The BERT hyper-parameters we read from config.json (Hugging Face names in comments). */
export interface BertConfig {
  vocabSize: number; // vocab_size
  hiddenSize: number; // hidden_size
  numHiddenLayers: number; // num_hidden_layers
  numAttentionHeads: number; // num_attention_heads
  intermediateSize: number; // intermediate_size
  hiddenAct: string; // hidden_act
  maxPositionEmbeddings: number; // max_position_embeddings
  typeVocabSize: number; // type_vocab_size
  layerNormEps: number; // layer_norm_eps
  hiddenDropoutProb: number; // hidden_dropout_prob
  attentionProbsDropoutProb: number; // attention_probs_dropout_prob
  padTokenId: number; // pad_token_id
}

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  // Exact GELU with erf, as torch's default.
  gelu: (x) => x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)),
  // tanh approximation.
  gelu_new: (x) => geluTanh(x),
  gelu_pytorch_tanh: (x) => geluTanh(x),
  relu: (x) => tf.relu(x),
};
function geluTanh(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
}

const SUPPORTED_MODEL_TYPES = ['bert'];

/** Parses and checks a Hugging Face BERT config.json. */
export function parseBertConfig(raw: JsonObject, file = 'config.json'): BertConfig {
  const modelType = raw['model_type'] ?? 'bert';
  if (!SUPPORTED_MODEL_TYPES.includes(String(modelType))) {
    throw new ConfigError(`${file}: model_type '${String(modelType)}' is not supported; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`, { file, field: 'model_type' });
  }
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new ConfigError(`${file}: ${key} must be a non-negative integer, got ${JSON.stringify(raw[key])}`, { file, field: key });
    }
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${file}: ${key} must be a non-negative number`, { file, field: key });
    return v;
  };
  const hiddenAct = String(raw['hidden_act'] ?? 'gelu');
  if (!(hiddenAct in ACTIVATIONS)) {
    throw new ConfigError(`${file}: hidden_act '${hiddenAct}' is not supported; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`, { file, field: 'hidden_act' });
  }
  const pet = raw['position_embedding_type'] ?? 'absolute';
  if (pet !== 'absolute') {
    throw new ConfigError(`${file}: position_embedding_type '${String(pet)}' is not supported; expected 'absolute'`, { file, field: 'position_embedding_type' });
  }
  const config: BertConfig = {
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numHiddenLayers: int('num_hidden_layers'),
    numAttentionHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    hiddenAct,
    maxPositionEmbeddings: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12),
    hiddenDropoutProb: num('hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: num('attention_probs_dropout_prob', 0.1),
    padTokenId: int('pad_token_id', 0),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new ConfigError(`${file}: hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`, { file, field: 'num_attention_heads' });
  }
  return config;
}

/** The config.json written on save (Hugging Face keys). */
export function bertConfigToJson(c: BertConfig): JsonObject {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
    initializer_range: 0.02,
  };
}

/** One parameter: its Hugging Face name and shape, and whether we hold it transposed. */
interface ParamSpec {
  name: string;
  shape: number[];
  /** Linear weights are (out, in) on disk and (in, out) in memory. */
  transposed: boolean;
  init: 'normal' | 'zeros' | 'ones';
}

function paramSpecs(c: BertConfig, withPooler: boolean): ParamSpec[] {
  const D = c.hiddenSize;
  const F = c.intermediateSize;
  const specs: ParamSpec[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [c.vocabSize, D], transposed: false, init: 'normal' },
    { name: 'embeddings.position_embeddings.weight', shape: [c.maxPositionEmbeddings, D], transposed: false, init: 'normal' },
    { name: 'embeddings.token_type_embeddings.weight', shape: [c.typeVocabSize, D], transposed: false, init: 'normal' },
    { name: 'embeddings.LayerNorm.weight', shape: [D], transposed: false, init: 'ones' },
    { name: 'embeddings.LayerNorm.bias', shape: [D], transposed: false, init: 'zeros' },
  ];
  const linear = (name: string, out: number, inp: number): ParamSpec[] => [
    { name: `${name}.weight`, shape: [out, inp], transposed: true, init: 'normal' },
    { name: `${name}.bias`, shape: [out], transposed: false, init: 'zeros' },
  ];
  const norm = (name: string): ParamSpec[] => [
    { name: `${name}.weight`, shape: [D], transposed: false, init: 'ones' },
    { name: `${name}.bias`, shape: [D], transposed: false, init: 'zeros' },
  ];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const p = `encoder.layer.${l}`;
    specs.push(
      ...linear(`${p}.attention.self.query`, D, D),
      ...linear(`${p}.attention.self.key`, D, D),
      ...linear(`${p}.attention.self.value`, D, D),
      ...linear(`${p}.attention.output.dense`, D, D),
      ...norm(`${p}.attention.output.LayerNorm`),
      ...linear(`${p}.intermediate.dense`, F, D),
      ...linear(`${p}.output.dense`, D, F),
      ...norm(`${p}.output.LayerNorm`),
    );
  }
  if (withPooler) specs.push(...linear('pooler.dense', D, D));
  return specs;
}

/** Tensors in BERT checkpoints that a BertModel does not use (buffers, task heads). */
function ignorable(name: string): boolean {
  return name.endsWith('position_ids') || /^(cls|classifier|qa_outputs)\./.test(name);
}

export interface TransformerOptions {
  maxSeqLength?: number;
  doLowerCase?: boolean;
}

const STANDARD_CONFIG_FILES = ['sentence_bert_config.json', 'sentence_roberta_config.json', 'sentence_distilbert_config.json', 'sentence_camembert_config.json', 'sentence_albert_config.json', 'sentence_xlm-roberta_config.json', 'sentence_xlnet_config.json'];

/**
 * Transformer: a BERT encoder (post-LayerNorm blocks, exact erf GELU) that turns token ids
 * into contextual token embeddings (B, T, D). It owns the tokenizer. Weights are read from and
 * written to Hugging Face's `model.safetensors` with exhaustive name and shape checks.
 * Reference: sentence_transformers.models.Transformer + transformers' BertModel.
 */
export class Transformer implements Module {
  readonly type = 'sentence_transformers.models.Transformer';
  readonly folderName = 'Transformer';
  readonly config: BertConfig;
  readonly tokenizer: SentenceTokenizer;
  readonly maxSeqLength: number;
  readonly doLowerCase: boolean;
  private readonly params = new Map<string, tf.Variable>();
  private readonly specs: ParamSpec[];
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  /** Extra keys of the original config.json, written back on save. */
  private readonly rawConfig: JsonObject;

  constructor(
    config: BertConfig,
    tokenizer: SentenceTokenizer,
    options: { maxSeqLength: number; doLowerCase?: boolean; rawConfig?: JsonObject; withPooler?: boolean; weights?: Map<string, tf.Tensor>; seed?: number },
  ) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.maxSeqLength = options.maxSeqLength;
    this.doLowerCase = options.doLowerCase ?? false;
    this.rawConfig = options.rawConfig ?? {};
    this.act = ACTIVATIONS[config.hiddenAct]!;
    if (this.maxSeqLength > config.maxPositionEmbeddings) {
      throw new ConfigError(`max_seq_length ${this.maxSeqLength} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`, { field: 'max_seq_length' });
    }
    // Ids are checked against the embedding table, not the tokenizer's own vocabulary.
    tokenizer.vocabSize = Math.min(tokenizer.vocabSize, config.vocabSize);
    this.specs = paramSpecs(config, options.withPooler ?? true);
    let seed = options.seed ?? 42;
    for (const spec of this.specs) {
      const given = options.weights?.get(spec.name);
      const memShape = spec.transposed ? [spec.shape[1]!, spec.shape[0]!] : spec.shape;
      let value: tf.Tensor;
      if (given) value = given;
      else if (spec.init === 'ones') value = tf.ones(memShape);
      else if (spec.init === 'zeros') value = tf.zeros(memShape);
      else {
        // BERT's initialisation: N(0, 0.02); the padding row of the word embeddings is zero.
        value = tf.randomNormal(memShape, 0, 0.02, 'float32', seed++);
        if (spec.name === 'embeddings.word_embeddings.weight' && config.padTokenId < config.vocabSize) {
          const v = value;
          value = tf.tidy(() => v.mul(tf.oneHot([config.padTokenId], config.vocabSize).sum(0).reshape([-1, 1]).sub(1).neg()));
          v.dispose();
        }
      }
      this.params.set(spec.name, tf.variable(value, true, `${spec.name}`.replace(/[^A-Za-z0-9_.]/g, '_') + `_${variableCounter++}`));
      value.dispose();
    }
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  private p(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /** Tokenizes texts (or pairs) as ST does, checking ids against the vocabulary. */
  tokenize(inputs: readonly TextInput[]): TokenizedBatch {
    return this.tokenizer.encodeBatch(inputs);
  }

  /** (B, T) ids → (B, T, D) token embeddings. */
  forward(features: Features, options: ForwardOptions = {}): Features {
    const training = options.training ?? false;
    let site = 0;
    const baseSeed = options.dropoutSeed ?? 0;
    // Each dropout site gets its own seed, so that a replay with the same base seed is exact.
    const dropout = (x: tf.Tensor, rate: number): tf.Tensor => (training && rate > 0 ? tf.dropout(x, rate, undefined, baseSeed * 1000 + site++) : x);
    const c = this.config;
    const { inputIds, attentionMask } = features;
    const [B, T] = inputIds.shape;
    if (T > c.maxPositionEmbeddings) throw new InputError(`sequence length ${T} exceeds max_position_embeddings ${c.maxPositionEmbeddings}`);
    const D = c.hiddenSize;
    const H = c.numAttentionHeads;
    const dh = D / H;
    const tokenEmbeddings = tf.tidy(() => {
      const ids = inputIds.reshape([B * T]);
      const types = features.tokenTypeIds ? features.tokenTypeIds.reshape([B * T]) : tf.zeros([B * T], 'int32');
      let x: tf.Tensor = tf.gather(this.p('embeddings.word_embeddings.weight'), ids) // (B·T, D)
        .add(tf.gather(this.p('embeddings.token_type_embeddings.weight'), types))
        .reshape([B, T, D])
        .add(this.p('embeddings.position_embeddings.weight').slice([0, 0], [T, D])); // positions 0..T-1
      x = dropout(this.layerNorm(x.reshape([B * T, D]), 'embeddings.LayerNorm'), c.hiddenDropoutProb); // (B·T, D)
      // Additive mask (B, 1, 1, T): 0 where attended, the float32 minimum on padding, as HF.
      const additive = tf.sub(1, tf.cast(attentionMask, 'float32')).mul(-3.4028234663852886e38).reshape([B, 1, 1, T]);
      const scale = 1 / Math.sqrt(dh);
      for (let l = 0; l < c.numHiddenLayers; l++) {
        const p = `encoder.layer.${l}`;
        const h = x;
        x = tf.tidy(() => {
          const q = this.linear(h, `${p}.attention.self.query`).reshape([B, T, H, dh]).transpose([0, 2, 1, 3]); // (B, H, T, dh)
          const kT = this.linear(h, `${p}.attention.self.key`).reshape([B, T, H, dh]).transpose([0, 2, 3, 1]); // (B, H, dh, T)
          const v = this.linear(h, `${p}.attention.self.value`).reshape([B, T, H, dh]).transpose([0, 2, 1, 3]); // (B, H, T, dh)
          const scores = tf.matMul(q.mul(scale), kT).add(additive); // (B, H, T, T)
          const probs = dropout(tf.softmax(scores), c.attentionProbsDropoutProb);
          const context = tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([B * T, D]); // (B·T, D)
          const attended = this.layerNorm(dropout(this.linear(context, `${p}.attention.output.dense`), c.hiddenDropoutProb).add(h), `${p}.attention.output.LayerNorm`);
          const inner = this.act(this.linear(attended, `${p}.intermediate.dense`)); // (B·T, F)
          return this.layerNorm(dropout(this.linear(inner, `${p}.output.dense`), c.hiddenDropoutProb).add(attended), `${p}.output.LayerNorm`);
        });
      }
      return x.reshape([B, T, D]) as tf.Tensor3D;
    });
    return { ...features, tokenEmbeddings };
  }

  private linear(x: tf.Tensor, name: string): tf.Tensor {
    return tf.matMul(x as tf.Tensor2D, this.p(`${name}.weight`)).add(this.p(`${name}.bias`));
  }

  private layerNorm(x: tf.Tensor, name: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(this.config.layerNormEps))).mul(this.p(`${name}.weight`)).add(this.p(`${name}.bias`));
  }

  toConfig(): Record<string, unknown> {
    return { max_seq_length: this.maxSeqLength, do_lower_case: this.doLowerCase };
  }

  /** The weights as Hugging Face stores them (Linear weights back to (out, in)). */
  stateDict(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const spec of this.specs) {
      const v = this.p(spec.name);
      out[spec.name] = { shape: spec.shape, data: spec.transposed ? transposedData(v) : (v.dataSync() as Float32Array) };
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await writeSafetensors(path.join(dir, 'model.safetensors'), this.stateDict());
    const config = { ...this.rawConfig, ...bertConfigToJson(this.config) };
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
    await fs.writeFile(path.join(dir, 'sentence_bert_config.json'), JSON.stringify(this.toConfig(), null, 4));
    await this.tokenizer.save(dir);
  }

  /**
   * Loads a BERT from a directory holding config.json (or bert_config.json), model.safetensors
   * and tokenizer files, plus the optional sentence_bert_config.json.
   */
  static async load(dir: string, overrides: TransformerOptions = {}): Promise<Transformer> {
    const configFile = [path.join(dir, 'config.json'), path.join(dir, 'bert_config.json')].find((f) => existsSync(f));
    if (!configFile) throw new ConfigError(`${dir}: no config.json or bert_config.json`, { file: path.join(dir, 'config.json') });
    const rawConfig = await readJsonFile(configFile);
    const config = parseBertConfig(rawConfig, configFile);
    let stConfig: JsonObject = {};
    for (const name of STANDARD_CONFIG_FILES) {
      const found = await readJsonFileIfExists(path.join(dir, name));
      if (found) {
        stConfig = found;
        break;
      }
    }
    const tokenizerConfig = (await readJsonFileIfExists(path.join(dir, 'tokenizer_config.json'))) ?? {};
    let maxSeqLength = overrides.maxSeqLength ?? (stConfig['max_seq_length'] as number | undefined);
    if (maxSeqLength === undefined) {
      // As ST: min(max_position_embeddings, tokenizer.model_max_length).
      const mml = tokenizerConfig['model_max_length'];
      maxSeqLength = Math.min(config.maxPositionEmbeddings, typeof mml === 'number' ? mml : config.maxPositionEmbeddings);
    }
    if (typeof maxSeqLength !== 'number' || !Number.isInteger(maxSeqLength) || maxSeqLength <= 0) {
      throw new ConfigError(`${dir}: max_seq_length must be a positive integer, got ${JSON.stringify(maxSeqLength)}`, { file: dir, field: 'max_seq_length' });
    }
    const doLowerCase = overrides.doLowerCase ?? Boolean(stConfig['do_lower_case'] ?? false);
    const tokenizer = await SentenceTokenizer.fromDirectory(dir, { maxSeqLength, doLowerCase });
    const { weights, withPooler } = await loadBertWeights(dir, config);
    return new Transformer(config, tokenizer, { maxSeqLength, doLowerCase, rawConfig, withPooler, weights });
  }

  trainableWeights(): NamedWeight[] {
    return this.specs.map((s) => ({ name: s.name, variable: this.p(s.name) }));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

let variableCounter = 0;

/** The values of a 2-D tensor transposed (Linear weights back to (out, in)). */
export function transposedData(x: tf.Tensor): Float32Array {
  const t = x.transpose();
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

/** Reads BERT weights, strips an optional `bert.` prefix and checks names and shapes. */
async function loadBertWeights(dir: string, config: BertConfig): Promise<{ weights: Map<string, tf.Tensor>; withPooler: boolean }> {
  const file = path.join(dir, 'model.safetensors');
  if (!existsSync(file)) {
    const others = ['pytorch_model.bin', 'model.safetensors.index.json', 'pytorch_model.bin.index.json', 'tf_model.h5'].filter((f) => existsSync(path.join(dir, f)));
    throw new CheckpointError(
      others.length
        ? `${dir}: found ${others.join(', ')} but only model.safetensors is supported so far; convert the checkpoint to safetensors`
        : `${dir}: no weights file; expected model.safetensors`,
      file,
    );
  }
  const raw = await readSafetensors(file);
  const stored = new Map<string, StoredTensor>();
  const hasPrefix = [...raw.keys()].some((k) => k.startsWith('bert.'));
  for (const [name, t] of raw) stored.set(hasPrefix && name.startsWith('bert.') ? name.slice(5) : name, t);
  const withPooler = stored.has('pooler.dense.weight');
  const specs = paramSpecs(config, withPooler);
  checkTensors(file, stored, Object.fromEntries(specs.map((s) => [s.name, s.shape])), ignorable);
  const weights = new Map<string, tf.Tensor>();
  for (const spec of specs) {
    const t = stored.get(spec.name)!;
    const tensor = tf.tensor(t.data as Float32Array, t.shape, 'float32');
    if (spec.transposed) {
      weights.set(spec.name, tensor.transpose());
      tensor.dispose();
    } else weights.set(spec.name, tensor);
  }
  return { weights, withPooler };
}
