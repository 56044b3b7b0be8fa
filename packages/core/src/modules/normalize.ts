import * as tf from '@tensorflow/tfjs';
import type { Features, Module, NamedWeight } from '../module.js';
import { InputError } from '../errors.js';

/** Divides by `max(‖x‖₂, eps)`, as torch.nn.functional.normalize (eps 1e-12). */
export function l2Normalize<T extends tf.Tensor>(x: T, eps = 1e-12): T {
  return tf.tidy(() => x.div(tf.maximum(tf.norm(x, 'euclidean', -1, true), eps)) as T);
}

/**
 * Normalize: scales each sentence embedding to unit L2 length. No config, no weights; its
 * folder is empty. Reference: sentence_transformers.models.Normalize.
 */
export class Normalize implements Module {
  readonly type = 'sentence_transformers.models.Normalize';
  readonly folderName = 'Normalize';

  forward(features: Features): Features {
    if (!features.sentenceEmbedding) throw new InputError('Normalize needs sentenceEmbedding; put it after Pooling');
    return { ...features, sentenceEmbedding: l2Normalize(features.sentenceEmbedding) };
  }

  toConfig(): Record<string, unknown> {
    return {};
  }

  async save(dir: string): Promise<void> {
    const { promises: fs } = await import('node:fs');
    await fs.mkdir(dir, { recursive: true });
  }

  static async load(): Promise<Normalize> {
    return new Normalize();
  }

  trainableWeights(): NamedWeight[] {
    return [];
  }

  dispose(): void {}
}
