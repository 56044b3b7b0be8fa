import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Features, ForwardOptions, Module, NamedWeight } from '../module.js';
import { ConfigError } from '../errors.js';
import { checkTensors } from '../serialization/check-tensors.js';
import { readJsonFile, readJsonFileIfExists, type JsonObject } from '../serialization/json.js';
import { writeSafetensors, type StoredTensor } from '../serialization/safetensors.js';
import { readStateDict } from '../serialization/state-dict.js';
import { SentenceTokenizer, type TextInput, type TokenizedBatch } from '../tokenizer.js';
import { ACTIVATIONS, type Architecture, type EncoderContext, type ParamSpec, type TransformerConfig } from './architectures/architecture.js';
import { architectureFor, parseTransformerConfig } from './architectures/registry.js';

export type { BertConfig, ModelType, TransformerConfig } from './architectures/architecture.js';

/**
 * Parses and checks a Hugging Face config.json of any supported encoder: `model_type` bert
 * (also when absent, as in Google's bert_config.json), distilbert, roberta, xlm-roberta or mpnet.
 */
export function parseBertConfig(raw: JsonObject, file = 'config.json'): TransformerConfig {
  return parseTransformerConfig(raw, file);
}

/** The config.json written on save (Hugging Face keys of the config's architecture). */
export function bertConfigToJson(c: TransformerConfig): JsonObject {
  return architectureFor(c.modelType).toJson(c);
}

/**
 * Renames what old checkpoints call differently, as transformers does on load: LayerNorm
 * `gamma` / `beta` (TensorFlow-converted and pytorch-pretrained-bert checkpoints) become
 * `weight` / `bias`; the architecture's base-model prefix (`bert.`, `roberta.`, ... of task-head
 * checkpoints) is dropped.
 */
export function normalizeStateDictNames<T>(tensors: Map<string, T>, arch: Architecture): Map<string, T> {
  const prefix = arch.basePrefix;
  const hasPrefix = [...tensors.keys()].some((k) => k.startsWith(prefix));
  const out = new Map<string, T>();
  for (const [name, t] of tensors) {
    let n = hasPrefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
    n = n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    out.set(n, t);
  }
  return out;
}

export interface TransformerOptions {
  maxSeqLength?: number;
  doLowerCase?: boolean;
}

const STANDARD_CONFIG_FILES = ['sentence_bert_config.json', 'sentence_roberta_config.json', 'sentence_distilbert_config.json', 'sentence_camembert_config.json', 'sentence_albert_config.json', 'sentence_xlm-roberta_config.json', 'sentence_xlnet_config.json'];

/** Config files a Hugging Face checkpoint may carry, in order of preference. */
const CONFIG_FILES = ['config.json', 'bert_config.json'];

/**
 * Transformer: a Hugging Face encoder — BERT, DistilBERT, RoBERTa, XLM-RoBERTa or MPNet, chosen by
 * config.json's `model_type` — that turns token ids into contextual token embeddings (B, T, D).
 * It owns the tokenizer. Weights are read from `model.safetensors`, `pytorch_model.bin` or their
 * sharded forms with exhaustive name and shape checks, and written to `model.safetensors` under
 * the Hugging Face names of the architecture.
 * Reference: sentence_transformers.models.Transformer + transformers' BertModel, DistilBertModel,
 * RobertaModel, XLMRobertaModel, MPNetModel.
 */
export class Transformer implements Module {
  readonly type = 'sentence_transformers.models.Transformer';
  readonly folderName = 'Transformer';
  readonly config: TransformerConfig;
  readonly architecture: Architecture;
  readonly tokenizer: SentenceTokenizer;
  readonly maxSeqLength: number;
  readonly doLowerCase: boolean;
  private readonly params = new Map<string, tf.Variable>();
  private readonly specs: ParamSpec[];
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  /** Extra keys of the original config.json, written back on save. */
  private readonly rawConfig: JsonObject;

  constructor(
    config: TransformerConfig,
    tokenizer: SentenceTokenizer,
    options: { maxSeqLength: number; doLowerCase?: boolean; rawConfig?: JsonObject; withPooler?: boolean; weights?: Map<string, tf.Tensor>; seed?: number },
  ) {
    this.config = config;
    this.architecture = architectureFor(config.modelType);
    this.tokenizer = tokenizer;
    this.maxSeqLength = options.maxSeqLength;
    this.doLowerCase = options.doLowerCase ?? false;
    this.rawConfig = options.rawConfig ?? {};
    this.act = ACTIVATIONS[config.hiddenAct]!;
    const maxTokens = this.architecture.maxTokens(config);
    if (this.maxSeqLength > maxTokens) {
      throw new ConfigError(
        maxTokens === config.maxPositionEmbeddings
          ? `max_seq_length ${this.maxSeqLength} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`
          : `max_seq_length ${this.maxSeqLength} exceeds the ${maxTokens} positions of this ${this.architecture.modelType} model (max_position_embeddings ${config.maxPositionEmbeddings}, positions start after the padding index)`,
        { field: 'max_seq_length' },
      );
    }
    // Ids are checked against the embedding table, not the tokenizer's own vocabulary.
    tokenizer.vocabSize = Math.min(tokenizer.vocabSize, config.vocabSize);
    this.specs = this.architecture.paramSpecs(config, options.withPooler ?? true);
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

  /** Tokenizes texts (or pairs) as ST does, checking ids against the vocabulary. */
  tokenize(inputs: readonly TextInput[]): TokenizedBatch {
    return this.tokenizer.encodeBatch(inputs);
  }

  /** (B, T) ids → (B, T, D) token embeddings. */
  forward(features: Features, options: ForwardOptions = {}): Features {
    const training = options.training ?? false;
    let site = 0;
    const baseSeed = options.dropoutSeed ?? 0;
    const ctx: EncoderContext = {
      config: this.config,
      ...(features.attentionMaskValues ? { attentionMaskValues: features.attentionMaskValues } : {}),
      p: (name) => this.params.get(name)!,
      act: this.act,
      // Each dropout site gets its own seed, so that a replay with the same base seed is exact.
      dropout: (x, rate) => (training && rate > 0 ? tf.dropout(x, rate, undefined, baseSeed * 1000 + site++) : x),
    };
    const tokenEmbeddings = this.architecture.forward(ctx, features.inputIds, features.attentionMask, features.tokenTypeIds);
    return { ...features, tokenEmbeddings };
  }

  toConfig(): Record<string, unknown> {
    return { max_seq_length: this.maxSeqLength, do_lower_case: this.doLowerCase };
  }

  /** The weights as Hugging Face stores them (Linear weights back to (out, in)). */
  stateDict(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const spec of this.specs) {
      const v = this.params.get(spec.name)!;
      out[spec.name] = { shape: spec.shape, data: spec.transposed ? transposedData(v) : (v.dataSync() as Float32Array) };
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await writeSafetensors(path.join(dir, 'model.safetensors'), this.stateDict());
    const config = { ...this.rawConfig, ...this.architecture.toJson(this.config) };
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
    await fs.writeFile(path.join(dir, 'sentence_bert_config.json'), JSON.stringify(this.toConfig(), null, 4));
    await this.tokenizer.save(dir);
  }

  /**
   * Loads an encoder from a directory holding config.json (or bert_config.json), weights
   * (model.safetensors, pytorch_model.bin, or either sharded with its .index.json) and tokenizer
   * files (tokenizer.json or vocab.txt), plus the optional sentence_bert_config.json.
   */
  static async load(dir: string, overrides: TransformerOptions = {}): Promise<Transformer> {
    const configFile = CONFIG_FILES.map((f) => path.join(dir, f)).find((f) => existsSync(f));
    if (!configFile) throw new ConfigError(`${dir}: no config.json or bert_config.json`, { file: path.join(dir, 'config.json') });
    const rawConfig = await readJsonFile(configFile);
    const config = parseTransformerConfig(rawConfig, configFile);
    const arch = architectureFor(config.modelType, configFile);
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
      // As ST: min(max_position_embeddings, tokenizer.model_max_length), within the positions the
      // architecture can use (RoBERTa's 514 positions hold 512 tokens).
      const mml = tokenizerConfig['model_max_length'];
      const maxTokens = arch.maxTokens(config);
      maxSeqLength = Math.min(maxTokens, typeof mml === 'number' ? mml : maxTokens);
    }
    if (typeof maxSeqLength !== 'number' || !Number.isInteger(maxSeqLength) || maxSeqLength <= 0) {
      throw new ConfigError(`${dir}: max_seq_length must be a positive integer, got ${JSON.stringify(maxSeqLength)}`, { file: dir, field: 'max_seq_length' });
    }
    const doLowerCase = overrides.doLowerCase ?? Boolean(stConfig['do_lower_case'] ?? false);
    const tokenizer = await SentenceTokenizer.fromDirectory(dir, { maxSeqLength, doLowerCase });
    const { weights, withPooler } = await loadWeights(dir, config, arch);
    try {
      return new Transformer(config, tokenizer, { maxSeqLength, doLowerCase, rawConfig, withPooler, weights });
    } finally {
      for (const w of weights.values()) w.dispose();
    }
  }

  trainableWeights(): NamedWeight[] {
    return this.specs.map((s) => ({ name: s.name, variable: this.params.get(s.name)! }));
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

/**
 * Reads the weights of any supported file layout, renames legacy names, strips the base-model
 * prefix, and checks every name and shape against the architecture.
 */
async function loadWeights(dir: string, config: TransformerConfig, arch: Architecture): Promise<{ weights: Map<string, tf.Tensor>; withPooler: boolean }> {
  const { file, tensors } = await readStateDict(dir);
  const stored = normalizeStateDictNames<StoredTensor>(tensors, arch);
  const withPooler = stored.has('pooler.dense.weight');
  const specs = arch.paramSpecs(config, withPooler);
  checkTensors(file, stored, Object.fromEntries(specs.map((s) => [s.name, s.shape])), arch.ignorable);
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
