import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CheckpointError, ConfigError, readSafetensors, tf, writeSafetensors } from '@sbert/core';
import { BaseLoss, checkEmbeddings, labelError, type InputSpec, type NamedWeight } from './loss.js';
import { LossInputError } from './loss-input-error.js';
import { crossEntropy, safeAbs } from './internal/ops.js';

/** Options of {@link SoftmaxLoss}; defaults are sentence-transformers'. */
export interface SoftmaxLossOptions {
  /** Width D of the sentence embeddings (ST: `embedding_dimension`). Required. */
  embeddingDimension: number;
  /** Number of classes (ST: `num_labels`). Required. */
  numLabels: number;
  /** Concatenate u and v. Default true. */
  concatenationSentRep?: boolean;
  /** Concatenate |u − v|. Default true. */
  concatenationSentDifference?: boolean;
  /** Concatenate u * v. Default false (UER's siamese classifier sets it). */
  concatenationSentMultiplication?: boolean;
  /** Seed for the classifier's initialisation (torch nn.Linear's default uniform ranges). */
  seed?: number;
  /**
   * Initial classifier weights, copied: `weight` `(numLabels, nVec·D)` in PyTorch layout,
   * `bias` `(numLabels,)`. Default: random as torch `nn.Linear`.
   */
  classifier?: { weight: tf.Tensor2D | number[][]; bias: tf.Tensor1D | number[] };
}

const CONFIG_FILE = 'config.json';
const WEIGHTS_FILE = 'model.safetensors';

/**
 * SoftmaxLoss: a classifier on top of a pair of sentence embeddings, trained with
 * cross-entropy (the original SBERT NLI objective).
 *
 * Formula: `features = [u, v, |u − v|, u * v]` (each part per the concatenation flags; default
 * `[u, v, |u − v|]`), `logits = features · Wᵀ + b` with `W: (numLabels, nVec·D)`, and
 * `loss = mean_i CE(logits_i, y_i)`.
 *
 * Inputs: 2 text columns `(sentence_A, sentence_B)`; labels: one class index per pair in
 * `[0, numLabels)`, shape `(B,)` (or class probabilities of shape `(B, numLabels)`).
 *
 * The classifier is part of this loss and trainable: {@link SoftmaxLoss.trainableWeights}
 * returns it for the optimizer (variables are created `trainable`, so `tf.variableGrads`
 * also finds them). Unlike sentence-transformers, which drops the head after training, it can
 * be saved and loaded ({@link SoftmaxLoss.save}, {@link SoftmaxLoss.load}) so that a trained
 * two-sentence classifier predicts labels and probabilities for new pairs
 * ({@link SoftmaxLoss.predict}).
 *
 * Relations: for similarity scores prefer {@link CoSENTLoss}; for (anchor, positive) pairs
 * without labels {@link MultipleNegativesRankingLoss} usually yields better embeddings.
 *
 * Reference: sentence_transformers/sentence_transformer/losses/softmax.py (ST 6.2.0);
 * Reimers & Gurevych, "Sentence-BERT", EMNLP 2019; UER-py run_classifier_siamese (u*v on).
 *
 * @example
 * ```ts
 * const loss = new SoftmaxLoss({ embeddingDimension: 768, numLabels: 3 });
 * const value = loss.computeLossFromEmbeddings([u, v], tf.tensor1d([0, 2, 1], 'int32'));
 * const probs = loss.predict(u, v);                       // (B, 3)
 * await loss.save('out/softmax-head'); const again = await SoftmaxLoss.load('out/softmax-head');
 * ```
 */
export class SoftmaxLoss extends BaseLoss {
  readonly name = 'SoftmaxLoss';
  readonly textColumns = 2;
  readonly embeddingDimension: number;
  readonly numLabels: number;
  readonly concatenationSentRep: boolean;
  readonly concatenationSentDifference: boolean;
  readonly concatenationSentMultiplication: boolean;
  /** `(numLabels, nVec·D)`, PyTorch layout (`classifier.weight`). */
  readonly weight: tf.Variable<tf.Rank.R2>;
  /** `(numLabels,)` (`classifier.bias`). */
  readonly bias: tf.Variable<tf.Rank.R1>;
  protected override readonly expects: InputSpec;

  constructor(options: SoftmaxLossOptions) {
    super();
    const { embeddingDimension, numLabels } = options ?? ({} as SoftmaxLossOptions);
    if (!Number.isInteger(embeddingDimension) || embeddingDimension < 1) {
      throw new ConfigError(`SoftmaxLoss: embeddingDimension must be a positive integer, got ${String(embeddingDimension)}`, { field: 'embeddingDimension' });
    }
    if (!Number.isInteger(numLabels) || numLabels < 1) {
      throw new ConfigError(`SoftmaxLoss: numLabels must be a positive integer, got ${String(numLabels)}`, { field: 'numLabels' });
    }
    this.embeddingDimension = embeddingDimension;
    this.numLabels = numLabels;
    this.concatenationSentRep = options.concatenationSentRep ?? true;
    this.concatenationSentDifference = options.concatenationSentDifference ?? true;
    this.concatenationSentMultiplication = options.concatenationSentMultiplication ?? false;
    const nVec = this.numVectors;
    if (nVec === 0) {
      throw new ConfigError(
        'SoftmaxLoss: at least one of concatenationSentRep, concatenationSentDifference, concatenationSentMultiplication must be true',
        { field: 'concatenationSentRep' },
      );
    }
    this.expects = {
      columns: '(sentence_A, sentence_B) pairs',
      labels: `one class index in [0, ${numLabels - 1}] per pair, shape [B] (or class probabilities, shape [B, ${numLabels}])`,
    };
    const inFeatures = nVec * embeddingDimension;
    const [w, b] = tf.tidy(() => {
      if (options.classifier) {
        const w0 = tf.tensor(options.classifier.weight instanceof tf.Tensor ? options.classifier.weight.arraySync() : options.classifier.weight, undefined, 'float32');
        const b0 = tf.tensor(options.classifier.bias instanceof tf.Tensor ? options.classifier.bias.arraySync() : options.classifier.bias, undefined, 'float32');
        if (w0.shape.join() !== `${numLabels},${inFeatures}` || b0.shape.join() !== `${numLabels}`) {
          throw new ConfigError(
            `SoftmaxLoss: classifier weight must be [${numLabels}, ${inFeatures}] and bias [${numLabels}], got [${w0.shape.join(', ')}] and [${b0.shape.join(', ')}]`,
            { field: 'classifier' },
          );
        }
        return [w0, b0];
      }
      // torch nn.Linear: kaiming_uniform_(a=√5) gives U(±1/√fan_in) for the weight, and the
      // bias is U(±1/√fan_in) too.
      const bound = 1 / Math.sqrt(inFeatures);
      const seed = options.seed;
      return [
        tf.randomUniform([numLabels, inFeatures], -bound, bound, 'float32', seed),
        tf.randomUniform([numLabels], -bound, bound, 'float32', seed === undefined ? undefined : seed + 1),
      ];
    });
    this.weight = tf.variable(w as tf.Tensor2D, true);
    this.bias = tf.variable(b as tf.Tensor1D, true);
    w.dispose();
    b.dispose();
  }

  /** How many D-wide vectors are concatenated (2 for u, v; +1 per extra flag). */
  get numVectors(): number {
    return (this.concatenationSentRep ? 2 : 0) + (this.concatenationSentDifference ? 1 : 0) + (this.concatenationSentMultiplication ? 1 : 0);
  }

  /** Classifier logits `(B, numLabels)` for embeddings `u, v: (B, D)`. Caller disposes. */
  logits(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
    const { dim } = checkEmbeddings(this, this.expects, [u, v]);
    if (dim !== this.embeddingDimension) {
      throw widthError(this, dim);
    }
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.concatenationSentRep) parts.push(u, v);
      if (this.concatenationSentDifference) parts.push(safeAbs(tf.sub(u, v)) as tf.Tensor2D);
      if (this.concatenationSentMultiplication) parts.push(tf.mul(u, v));
      const features = tf.concat(parts, 1); // (B, nVec·D)
      return tf.add(tf.matMul(features, this.weight, false, true), this.bias);
    });
  }

  /** Class probabilities `softmax(logits)`, `(B, numLabels)`. Caller disposes. */
  predict(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.logits(u, v)));
  }

  /** The most probable class per pair, `(B,)` int32. Caller disposes. */
  predictLabels(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.argMax(this.logits(u, v), 1));
  }

  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar {
    const { batchSize, dim } = checkEmbeddings(this, this.expects, embeddings);
    if (dim !== this.embeddingDimension) throw widthError(this, dim);
    const soft = this.checkLabels(labels, batchSize);
    return tf.tidy(() => {
      const logits = this.logits(embeddings[0]!, embeddings[1]!);
      const targets = soft
        ? tf.cast(labels!, 'float32')
        : tf.oneHot(tf.cast(tf.reshape(labels!, [batchSize]), 'int32'), this.numLabels).toFloat();
      return crossEntropy(logits, targets as tf.Tensor2D);
    });
  }

  /** Validates labels on the host; returns true for probability targets `(B, numLabels)`. */
  private checkLabels(labels: tf.Tensor | undefined, batchSize: number): boolean {
    if (labels === undefined || labels === null) throw labelError(this, this.expects, 'no labels');
    if (!(labels instanceof tf.Tensor)) throw labelError(this, this.expects, `labels of type ${typeof labels}`);
    // ST: labels of the logits' shape are class probabilities; anything else is flattened.
    if (this.numLabels > 1 && labels.rank === 2 && labels.shape[0] === batchSize && labels.shape[1] === this.numLabels) return true;
    if (labels.size !== batchSize) {
      throw labelError(this, this.expects, `${labels.size} labels with shape [${labels.shape.join(', ')}] for a batch of ${batchSize}`);
    }
    const values = labels.dataSync();
    for (let i = 0; i < values.length; i++) {
      const y = Number(values[i]);
      if (!Number.isInteger(y) || y < 0 || y >= this.numLabels) {
        throw labelError(this, this.expects, `label ${String(values[i])} at row ${i}`);
      }
    }
    return false;
  }

  override trainableWeights(): NamedWeight[] {
    return [
      { name: 'classifier.weight', variable: this.weight },
      { name: 'classifier.bias', variable: this.bias },
    ];
  }

  override toConfig(): Record<string, unknown> {
    return {
      embedding_dimension: this.embeddingDimension,
      num_labels: this.numLabels,
      concatenation_sent_rep: this.concatenationSentRep,
      concatenation_sent_difference: this.concatenationSentDifference,
      concatenation_sent_multiplication: this.concatenationSentMultiplication,
    };
  }

  /**
   * Saves the classifier to `dir` (created if needed) like a sentence-transformers module:
   * `config.json` (the snake_case {@link SoftmaxLoss.toConfig}) and `model.safetensors` with
   * `classifier.weight` `(numLabels, nVec·D)` and `classifier.bias` `(numLabels,)`, the key
   * names and layout of the PyTorch state dict.
   */
  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, CONFIG_FILE), `${JSON.stringify(this.toConfig(), null, 4)}\n`);
    await writeSafetensors(path.join(dir, WEIGHTS_FILE), {
      'classifier.weight': { shape: [...this.weight.shape], data: this.weight.dataSync() as Float32Array },
      'classifier.bias': { shape: [...this.bias.shape], data: this.bias.dataSync() as Float32Array },
    });
  }

  /** Loads a classifier saved by {@link SoftmaxLoss.save}. */
  static async load(dir: string): Promise<SoftmaxLoss> {
    const file = path.join(dir, CONFIG_FILE);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`${file}: cannot read the SoftmaxLoss config (${(error as Error).message})`, { file }, { cause: error });
    }
    const int = (key: string): number => {
      const v = raw[key];
      if (!Number.isInteger(v) || (v as number) < 1) throw new ConfigError(`${file}: '${key}' must be a positive integer, got ${JSON.stringify(v)}`, { file, field: key });
      return v as number;
    };
    const bool = (key: string, dflt: boolean): boolean => {
      const v = raw[key];
      if (v === undefined) return dflt;
      if (typeof v !== 'boolean') throw new ConfigError(`${file}: '${key}' must be true or false, got ${JSON.stringify(v)}`, { file, field: key });
      return v;
    };
    const embeddingDimension = int('embedding_dimension');
    const numLabels = int('num_labels');
    const flags = {
      concatenationSentRep: bool('concatenation_sent_rep', true),
      concatenationSentDifference: bool('concatenation_sent_difference', true),
      concatenationSentMultiplication: bool('concatenation_sent_multiplication', false),
    };
    const nVec = (flags.concatenationSentRep ? 2 : 0) + (flags.concatenationSentDifference ? 1 : 0) + (flags.concatenationSentMultiplication ? 1 : 0);
    const weightsFile = path.join(dir, WEIGHTS_FILE);
    const stored = await readSafetensors(weightsFile);
    const expected: Record<string, number[]> = {
      'classifier.weight': [numLabels, nVec * embeddingDimension],
      'classifier.bias': [numLabels],
    };
    const missing = Object.keys(expected).filter((n) => !stored.has(n));
    const unexpected = [...stored.keys()].filter((n) => !(n in expected));
    const mismatched = Object.entries(expected)
      .filter(([n, shape]) => stored.has(n) && stored.get(n)!.shape.join(',') !== shape.join(','))
      .map(([n, shape]) => ({ name: n, expected: shape, actual: stored.get(n)!.shape }));
    if (missing.length > 0 || unexpected.length > 0 || mismatched.length > 0) {
      const details = [
        missing.length > 0 ? `missing ${missing.join(', ')}` : '',
        unexpected.length > 0 ? `unexpected ${unexpected.join(', ')}` : '',
        ...mismatched.map((m) => `${m.name} is [${m.actual.join(', ')}], expected [${m.expected.join(', ')}]`),
      ].filter(Boolean);
      throw new CheckpointError(`${weightsFile}: the classifier does not fit ${file} (${details.join('; ')})`, weightsFile, {
        missing,
        unexpected,
        mismatched,
      });
    }
    const w = stored.get('classifier.weight')!;
    const b = stored.get('classifier.bias')!;
    const weight = tf.tensor2d(Float32Array.from(w.data), w.shape as [number, number]);
    const bias = tf.tensor1d(Float32Array.from(b.data));
    try {
      return new SoftmaxLoss({ embeddingDimension, numLabels, ...flags, classifier: { weight, bias } });
    } finally {
      weight.dispose();
      bias.dispose();
    }
  }

  /** Disposes the classifier variables. */
  override dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

function widthError(loss: SoftmaxLoss, dim: number): LossInputError {
  return new LossInputError(
    loss.name,
    'embeddings',
    `SoftmaxLoss expects embeddings of width ${loss.embeddingDimension} (its embeddingDimension); got width ${dim}.`,
  );
}
