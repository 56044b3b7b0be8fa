import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Features, Module, NamedWeight } from '../module.js';
import { ConfigError, InputError } from '../errors.js';
import { checkTensors } from '../serialization/check-tensors.js';
import { transposedData } from './transformer.js';
import { readJsonFile } from '../serialization/json.js';
import { writeSafetensors } from '../serialization/safetensors.js';
import { readStateDict } from '../serialization/state-dict.js';

type Activation = (x: tf.Tensor) => tf.Tensor;

/** torch activation class paths (as ST stores them) → functions. */
const ACTIVATIONS: Record<string, Activation> = {
  'torch.nn.modules.activation.Tanh': (x) => tf.tanh(x),
  'torch.nn.modules.linear.Identity': (x) => x,
  'torch.nn.modules.activation.ReLU': (x) => tf.relu(x),
  'torch.nn.modules.activation.Sigmoid': (x) => tf.sigmoid(x),
  'torch.nn.modules.activation.GELU': (x) => x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)),
};
export const DENSE_ACTIVATIONS = Object.keys(ACTIVATIONS);

export interface DenseOptions {
  bias?: boolean;
  /** A torch class path; default `torch.nn.modules.activation.Tanh` as in ST. */
  activationFunction?: string;
  seed?: number;
}

/**
 * Dense: `act(x·Wᵀ + b)` on the sentence embedding. Weights are `linear.weight` (out, in) and
 * `linear.bias` (out) in the module folder's model.safetensors; held transposed (in, out) in
 * memory so no transpose happens at run time. Reference: sentence_transformers.models.Dense.
 */
export class Dense implements Module {
  readonly type = 'sentence_transformers.models.Dense';
  readonly folderName = 'Dense';
  readonly activationFunction: string;
  readonly bias: boolean;
  private readonly kernel: tf.Variable; // (in, out)
  private readonly biasVar: tf.Variable | undefined = undefined; // (out)
  private readonly activation: Activation;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: DenseOptions & { weights?: { kernel: tf.Tensor2D; bias?: tf.Tensor1D } } = {}) {
    this.activationFunction = options.activationFunction ?? 'torch.nn.modules.activation.Tanh';
    const act = ACTIVATIONS[this.activationFunction];
    if (!act) {
      throw new ConfigError(`unknown Dense activation_function '${this.activationFunction}'; expected one of ${DENSE_ACTIVATIONS.join(', ')}`, { field: 'activation_function' });
    }
    this.activation = act;
    this.bias = options.bias ?? true;
    const seed = options.seed ?? 0;
    // torch.nn.Linear's default init: U(-1/√in, 1/√in) for weight and bias.
    const bound = 1 / Math.sqrt(inFeatures);
    const kernel = options.weights?.kernel ?? tf.randomUniform([inFeatures, outFeatures], -bound, bound, 'float32', seed);
    this.kernel = tf.variable(kernel);
    kernel.dispose();
    if (this.bias) {
      const bias = options.weights?.bias ?? tf.randomUniform([outFeatures], -bound, bound, 'float32', seed + 1);
      this.biasVar = tf.variable(bias);
      bias.dispose();
    } else {
      options.weights?.bias?.dispose();
    }
  }

  forward(features: Features): Features {
    const x = features.sentenceEmbedding;
    if (!x) throw new InputError('Dense needs sentenceEmbedding; put it after Pooling');
    if (x.shape[1] !== this.inFeatures) throw new InputError(`Dense expects inputs of dimension ${this.inFeatures}, got ${x.shape[1]}`);
    const sentenceEmbedding = tf.tidy(() => {
      let y: tf.Tensor = tf.matMul(x, this.kernel);
      if (this.biasVar) y = y.add(this.biasVar);
      return this.activation(y) as tf.Tensor2D;
    });
    return { ...features, sentenceEmbedding };
  }

  toConfig(): Record<string, unknown> {
    return { in_features: this.inFeatures, out_features: this.outFeatures, bias: this.bias, activation_function: this.activationFunction };
  }

  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(this.toConfig(), null, 4));
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
      'linear.weight': { shape: [this.outFeatures, this.inFeatures], data: transposedData(this.kernel) },
    };
    if (this.biasVar) tensors['linear.bias'] = { shape: [this.outFeatures], data: this.biasVar.dataSync() as Float32Array };
    await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  }

  static async load(dir: string): Promise<Dense> {
    const configFile = path.join(dir, 'config.json');
    const config = await readJsonFile(configFile);
    const inF = config['in_features'];
    const outF = config['out_features'];
    for (const [key, v] of [['in_features', inF], ['out_features', outF]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
        throw new ConfigError(`${configFile}: ${key} must be a positive integer, got ${JSON.stringify(v)}`, { file: configFile, field: key });
      }
    }
    const bias = config['bias'] === undefined ? true : Boolean(config['bias']);
    const activationFunction = (config['activation_function'] as string | undefined) ?? 'torch.nn.modules.activation.Tanh';
    // model.safetensors, or pytorch_model.bin in older sentence-transformers models.
    const { file, tensors: stored } = await readStateDict(dir);
    const expected: Record<string, number[]> = { 'linear.weight': [outF as number, inF as number] };
    if (bias) expected['linear.bias'] = [outF as number];
    checkTensors(file, stored, expected);
    const w = stored.get('linear.weight')!;
    const kernel = tf.tidy(() => tf.tensor2d(w.data as Float32Array, w.shape as [number, number]).transpose() as tf.Tensor2D);
    const b = stored.get('linear.bias');
    return new Dense(inF as number, outF as number, {
      bias,
      activationFunction,
      weights: { kernel, ...(b ? { bias: tf.tensor1d(b.data as Float32Array) } : {}) },
    });
  }

  trainableWeights(): NamedWeight[] {
    const out = [{ name: 'linear.weight', variable: this.kernel }];
    if (this.biasVar) out.push({ name: 'linear.bias', variable: this.biasVar });
    return out;
  }

  dispose(): void {
    this.kernel.dispose();
    this.biasVar?.dispose();
  }
}

