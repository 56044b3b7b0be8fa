/**
 * The contract between a training objective and the trainer.
 *
 * The trainer owns "encode each text column with the model"; a loss owns the maths. It gets one
 * `(B, D)` embedding matrix per text column of the batch (column order as in the dataset, e.g.
 * `[anchor, positive, negative]`) and the batch's labels, and returns a scalar. Because it is a
 * pure function of tensors it can be tested without a model and checked against
 * sentence-transformers' `compute_loss_from_embeddings`.
 */
import { tf, type NamedWeight } from '@sbert/core';
import { LossInputError } from './loss-input-error.js';

/**
 * A trainable weight owned by a module or loss, named as in the PyTorch state dict
 * (e.g. `classifier.weight`): `{ name: string; variable: tf.Variable }`, @sbert/core's type.
 */
export type { NamedWeight };

/** How many text columns a loss takes: exactly `n`, or a range (`max` absent: unbounded). */
export type TextColumns = number | { min: number; max?: number };

/**
 * A training objective.
 *
 * Rules every implementation follows (the built-in losses are tested for each):
 * - `computeLossFromEmbeddings` is **differentiable** with `tf.grad(s)`/`tf.variableGrads` and
 *   may run inside `optimizer.minimize`: build the result from TF.js ops only (no
 *   `dataSync()` on values derived from the embeddings in the result's path).
 * - It is **pure**: it never disposes or mutates its inputs.
 * - It is **leak-free**: wrap the body in `tf.tidy`, so only the returned scalar survives.
 * - Bad inputs throw {@link LossInputError} whose message says what the loss expects.
 * - Options live in one constructor object whose defaults equal sentence-transformers'.
 *
 * Extend {@link BaseLoss} to get no-op `trainableWeights`/`toConfig`/`dispose` and the
 * standard input checks.
 *
 * @example A user-written loss (the package README has the full, tested version)
 * ```ts
 * class MyLoss extends BaseLoss {
 *   readonly name = 'MyLoss';
 *   readonly textColumns = 2;
 *   computeLossFromEmbeddings([a, b]: tf.Tensor2D[]): tf.Scalar {
 *     return tf.tidy(() => tf.mean(tf.square(tf.sub(a!, b!))));
 *   }
 * }
 * ```
 */
export interface Loss {
  /** Class name, as in sentence-transformers (`CoSENTLoss`); used in logs and errors. */
  readonly name: string;
  /** How many text columns (embedding matrices) `computeLossFromEmbeddings` takes. */
  readonly textColumns: TextColumns;
  /**
   * The loss of one batch.
   * @param embeddings one `(B, D)` float32 matrix per text column, rows aligned.
   * @param labels the batch's labels (shape depends on the loss), or undefined if it takes none.
   * @returns a scalar; the caller owns (and disposes) it.
   */
  computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar;
  /** Weights the loss itself trains (e.g. SoftmaxLoss's classifier); the optimizer must include them. */
  trainableWeights(): NamedWeight[];
  /** sentence-transformers' `get_config_dict()`: snake_case options, for model cards and logs. */
  toConfig(): Record<string, unknown>;
  /** Frees the loss's own weights, if any. */
  dispose(): void;
}

/** What a loss expects, in words, for error messages. */
export interface InputSpec {
  /** What the text columns are, e.g. `(anchor, positive) pairs`. */
  columns: string;
  /** What the labels are, e.g. `one float score per pair, shape [B]`; absent when the loss takes none. */
  labels?: string;
}

function columnsText(textColumns: TextColumns): string {
  if (typeof textColumns === 'number') return `${textColumns} text column${textColumns === 1 ? '' : 's'}`;
  const { min, max } = textColumns;
  if (max === undefined) return `at least ${min} text columns`;
  return min === max ? `${min} text columns` : `${min} to ${max} text columns`;
}

/** `"<name> expects <n> text columns (<columns>) and labels: <labels>"`. */
export function describeExpectation(loss: Pick<Loss, 'name' | 'textColumns'>, spec: InputSpec): string {
  const cols = `${loss.name} expects ${columnsText(loss.textColumns)} (${spec.columns})`;
  return spec.labels === undefined ? `${cols} and no labels` : `${cols} and labels: ${spec.labels}`;
}

/**
 * Checks the embedding matrices: a column count allowed by `loss.textColumns`, each a float32
 * `(B, D)` matrix with the same B ≥ 1 and D ≥ 1. Throws {@link LossInputError}.
 */
export function checkEmbeddings(
  loss: Pick<Loss, 'name' | 'textColumns'>,
  spec: InputSpec,
  embeddings: readonly tf.Tensor[],
): { batchSize: number; dim: number } {
  const fail = (got: string): never => {
    throw new LossInputError(loss.name, 'embeddings', `${describeExpectation(loss, spec)}; got ${got}.`);
  };
  if (!Array.isArray(embeddings)) fail(`${typeof embeddings} instead of an array of (B, D) tensors`);
  const n = embeddings.length;
  const tc = loss.textColumns;
  const [min, max] = typeof tc === 'number' ? [tc, tc] : [tc.min, tc.max ?? Infinity];
  if (n < min || n > max) fail(`${n} embedding matri${n === 1 ? 'x' : 'ces'}`);
  const first = embeddings[0]!;
  for (let i = 0; i < n; i++) {
    const e = embeddings[i];
    if (!(e instanceof tf.Tensor)) fail(`column ${i} is not a tensor`);
    const t = e as tf.Tensor;
    if (t.isDisposed) fail(`column ${i} is a disposed tensor`);
    if (t.rank !== 2) fail(`column ${i} with shape [${t.shape.join(', ')}] (a (B, D) matrix is needed)`);
    if (t.dtype !== 'float32') fail(`column ${i} with dtype ${t.dtype} (float32 is needed)`);
    if (t.shape[0] !== first.shape[0] || t.shape[1] !== first.shape[1]) {
      fail(`column ${i} with shape [${t.shape.join(', ')}] but column 0 with shape [${first.shape.join(', ')}] (all columns must share B and D)`);
    }
  }
  const [batchSize, dim] = first.shape as [number, number];
  if (batchSize < 1 || dim < 1) fail(`an empty batch of shape [${first.shape.join(', ')}]`);
  return { batchSize, dim };
}

/** Throws {@link LossInputError} about the labels with the loss's expectation and `got`. */
export function labelError(loss: Pick<Loss, 'name' | 'textColumns'>, spec: InputSpec, got: string): LossInputError {
  return new LossInputError(loss.name, 'labels', `${describeExpectation(loss, spec)}; got ${got}.`);
}

/**
 * Checks that `labels` is present and holds one value per row (`B` elements, any shape, as
 * sentence-transformers' `labels.numel() == batch_size`), and returns them as a float32 `(B,)`
 * tensor (a new tensor: call it inside `tf.tidy`).
 */
export function rowLabels(
  loss: Pick<Loss, 'name' | 'textColumns'>,
  spec: InputSpec,
  labels: tf.Tensor | undefined,
  batchSize: number,
): tf.Tensor1D {
  if (labels === undefined || labels === null) throw labelError(loss, spec, 'no labels');
  if (!(labels instanceof tf.Tensor)) throw labelError(loss, spec, `labels of type ${typeof labels} (a tensor is needed)`);
  if (labels.isDisposed) throw labelError(loss, spec, 'a disposed labels tensor');
  if (labels.size !== batchSize) {
    throw labelError(loss, spec, `${labels.size} labels with shape [${labels.shape.join(', ')}] for a batch of ${batchSize}`);
  }
  if (labels.dtype === 'string' || labels.dtype === 'complex64') throw labelError(loss, spec, `labels of dtype ${labels.dtype}`);
  return tf.cast(tf.reshape(labels, [batchSize]), 'float32') as tf.Tensor1D;
}

/**
 * Convenience base class for losses: no trainable weights, an empty config, nothing to
 * dispose, and `check()` for the standard input validation against `expects`.
 */
export abstract class BaseLoss implements Loss {
  abstract readonly name: string;
  abstract readonly textColumns: TextColumns;
  /** What the loss expects, for error messages. Override to be precise. */
  protected readonly expects: InputSpec = { columns: 'one (B, D) embedding matrix per column' };

  abstract computeLossFromEmbeddings(embeddings: tf.Tensor2D[], labels?: tf.Tensor): tf.Scalar;

  /**
   * Validates the embeddings (see {@link checkEmbeddings}) and, when `expects.labels` is set,
   * that there is one label per row. Returns the batch size and embedding width.
   */
  protected check(embeddings: readonly tf.Tensor[], labels?: tf.Tensor): { batchSize: number; dim: number } {
    const shape = checkEmbeddings(this, this.expects, embeddings);
    if (this.expects.labels !== undefined) {
      if (labels === undefined || labels === null) throw labelError(this, this.expects, 'no labels');
      if (!(labels instanceof tf.Tensor) || labels.size !== shape.batchSize) {
        const got = labels instanceof tf.Tensor ? `${labels.size} labels with shape [${labels.shape.join(', ')}]` : `labels of type ${typeof labels}`;
        throw labelError(this, this.expects, `${got} for a batch of ${shape.batchSize}`);
      }
    }
    return shape;
  }

  trainableWeights(): NamedWeight[] {
    return [];
  }

  toConfig(): Record<string, unknown> {
    return {};
  }

  dispose(): void {}
}
