import type * as tf from '@tensorflow/tfjs';

/**
 * What flows between modules, as in sentence-transformers' `features` dict. Modules return a
 * new object and never mutate or dispose their input.
 */
export interface Features {
  inputIds: tf.Tensor2D; // (B, T) int32
  attentionMask: tf.Tensor2D; // (B, T) int32
  /** The same mask on the host when it is known (toFeatures sets it): the encoder reads it instead of the tensor. */
  attentionMaskValues?: Int32Array;
  tokenTypeIds?: tf.Tensor2D; // (B, T) int32
  tokenEmbeddings?: tf.Tensor3D; // (B, T, D)
  sentenceEmbedding?: tf.Tensor2D; // (B, D)
}

export interface ForwardOptions {
  /** Enables dropout. Default false (inference). */
  training?: boolean;
  /**
   * Base seed for dropout masks. The same seed gives the same masks, which is what gradient
   * caching needs to replay a forward pass exactly.
   */
  dropoutSeed?: number;
}

/** A trainable tensor with its sentence-transformers / Hugging Face parameter name. */
export interface NamedWeight {
  name: string;
  variable: tf.Variable;
}

/** One stage of a SentenceTransformer (Transformer, Pooling, Dense, Normalize, ...). */
export interface Module {
  /** The sentence-transformers class path written to modules.json. */
  readonly type: string;
  /** Folder name stem used on save (`1_Pooling`). */
  readonly folderName: string;
  forward(features: Features, options?: ForwardOptions): Features;
  /** The module's config as written to disk (sentence-transformers' snake_case keys). */
  toConfig(): Record<string, unknown>;
  save(dir: string): Promise<void>;
  trainableWeights(): NamedWeight[];
  dispose(): void;
}
