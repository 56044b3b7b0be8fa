import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Features, Module, NamedWeight } from '../module.js';
import { ConfigError, InputError } from '../errors.js';
import { readJsonFile } from '../serialization/json.js';

/** Pooling modes, in the order sentence-transformers concatenates them. */
export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

const CONFIG_KEY: Record<PoolingMode, string> = {
  cls: 'pooling_mode_cls_token',
  max: 'pooling_mode_max_tokens',
  mean: 'pooling_mode_mean_tokens',
  mean_sqrt_len_tokens: 'pooling_mode_mean_sqrt_len_tokens',
  weightedmean: 'pooling_mode_weightedmean_tokens',
  lasttoken: 'pooling_mode_lasttoken',
};

export interface PoolingOptions {
  /** One mode or several (concatenated in this order). Default `mean`. */
  modes?: PoolingMode | PoolingMode[];
  includePrompt?: boolean;
}

/**
 * Pooling: token embeddings (B, T, D) + attention mask (B, T) → sentence embedding
 * (B, k·D) for k active modes, concatenated in the order given (sentence-transformers 6
 * keeps a `pooling_mode` list's order; the older boolean keys mean cls, max, mean,
 * mean_sqrt_len_tokens, weightedmean, lasttoken).
 * - mean: Σ(tok·mask) / max(Σmask, 1e-9); mean_sqrt_len_tokens divides by √Σmask instead.
 * - max: padding set to -1e9 first. weightedmean: position weights 1..T times the mask.
 * - cls: token 0. lasttoken: the last position whose mask is 1.
 * Reference: sentence_transformers.models.Pooling (defaults: mean on, everything else off).
 */
export class Pooling implements Module {
  readonly type = 'sentence_transformers.models.Pooling';
  readonly folderName = 'Pooling';
  readonly modes: readonly PoolingMode[];
  readonly includePrompt: boolean;

  constructor(readonly wordEmbeddingDimension: number, options: PoolingOptions = {}) {
    const requested = options.modes === undefined ? ['mean'] : Array.isArray(options.modes) ? options.modes : [options.modes];
    for (const m of requested) {
      if (!POOLING_MODES.includes(m as PoolingMode)) {
        throw new ConfigError(`unknown pooling mode '${m}'; expected one of ${POOLING_MODES.join(', ')}`, { field: 'pooling_mode' });
      }
    }
    // Several modes are concatenated in the order given (sentence-transformers 6).
    this.modes = requested.filter((m, i) => requested.indexOf(m) === i) as PoolingMode[];
    if (this.modes.length === 0) throw new ConfigError('Pooling needs at least one mode', { field: 'pooling_mode' });
    this.includePrompt = options.includePrompt ?? true;
  }

  get outputDimension(): number {
    return this.modes.length * this.wordEmbeddingDimension;
  }

  forward(features: Features): Features {
    const tok = features.tokenEmbeddings;
    if (!tok) throw new InputError('Pooling needs tokenEmbeddings; put it after a Transformer');
    if (tok.shape[2] !== this.wordEmbeddingDimension) {
      throw new InputError(`Pooling expects token embeddings of dimension ${this.wordEmbeddingDimension}, got ${tok.shape[2]}`);
    }
    const sentenceEmbedding = tf.tidy(() => {
      const [, T] = tok.shape;
      const mask = tf.cast(features.attentionMask, 'float32'); // (B, T)
      const mask3 = mask.expandDims(2); // (B, T, 1)
      const parts: tf.Tensor2D[] = [];
      let sum: tf.Tensor2D | undefined;
      let count: tf.Tensor2D | undefined;
      const meanParts = (): [tf.Tensor2D, tf.Tensor2D] => {
        sum ??= tf.sum(tok.mul(mask3), 1) as tf.Tensor2D; // (B, D)
        count ??= tf.sum(mask3, 1) as tf.Tensor2D; // (B, 1)
        return [sum, count];
      };
      for (const mode of this.modes) {
        if (mode === 'cls') {
          parts.push(tok.slice([0, 0, 0], [-1, 1, -1]).squeeze([1]) as tf.Tensor2D);
        } else if (mode === 'max') {
          parts.push(tf.max(tf.where(mask3.cast('bool'), tok, tf.fill(tok.shape, -1e9)), 1) as tf.Tensor2D);
        } else if (mode === 'mean') {
          const [s, c] = meanParts();
          parts.push(s.div(tf.maximum(c, 1e-9)));
        } else if (mode === 'mean_sqrt_len_tokens') {
          const [s, c] = meanParts();
          parts.push(s.div(tf.sqrt(tf.maximum(c, 1e-9))));
        } else if (mode === 'weightedmean') {
          const w = tf.range(1, T! + 1, 1, 'float32').reshape([1, T!, 1]).mul(mask3); // (B, T, 1)
          parts.push(tf.sum(tok.mul(w), 1).div(tf.maximum(tf.sum(w, 1), 1e-9)) as tf.Tensor2D);
        } else {
          // Index of the last 1 in the mask (0 when the mask is all zero, as ST).
          const last = tf.max(tf.range(0, T!, 1, 'int32').expandDims(0).mul(tf.cast(features.attentionMask, 'int32')), 1);
          const B = tok.shape[0];
          const rows = tf.range(0, B, 1, 'int32');
          parts.push(tf.gatherND(tok, tf.stack([rows, last as tf.Tensor1D], 1)) as tf.Tensor2D);
        }
      }
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D);
    });
    return { ...features, sentenceEmbedding };
  }

  /**
   * The config as written on save. Modes in the canonical order are written as the boolean
   * keys every sentence-transformers version reads; another order needs ST 6's
   * `pooling_mode` list.
   */
  toConfig(): Record<string, unknown> {
    const canonical = POOLING_MODES.filter((m) => this.modes.includes(m));
    if (canonical.join() !== this.modes.join()) {
      return { embedding_dimension: this.wordEmbeddingDimension, pooling_mode: [...this.modes], include_prompt: this.includePrompt };
    }
    const config: Record<string, unknown> = { word_embedding_dimension: this.wordEmbeddingDimension };
    for (const m of POOLING_MODES) config[CONFIG_KEY[m]] = this.modes.includes(m);
    config['include_prompt'] = this.includePrompt;
    return config;
  }

  /** Builds a Pooling from its config.json content, with ST's defaults for missing keys. */
  static fromConfig(config: Record<string, unknown>, file = 'Pooling config'): Pooling {
    const dim = config['word_embedding_dimension'] ?? config['embedding_dimension'];
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) {
      throw new ConfigError(`${file}: word_embedding_dimension must be a positive integer, got ${JSON.stringify(dim)}`, { file, field: 'word_embedding_dimension' });
    }
    let modes: PoolingMode[];
    const named = config['pooling_mode'];
    if (typeof named === 'string') {
      const m = named === 'mean_sqrt_len' ? 'mean_sqrt_len_tokens' : named;
      if (!POOLING_MODES.includes(m as PoolingMode)) {
        throw new ConfigError(`${file}: pooling_mode '${named}' is not one of ${POOLING_MODES.join(', ')}`, { file, field: 'pooling_mode' });
      }
      modes = [m as PoolingMode];
    } else if (Array.isArray(named)) {
      modes = named.map((m) => (m === 'mean_sqrt_len' ? 'mean_sqrt_len_tokens' : m)) as PoolingMode[];
    } else {
      const defaults: Record<PoolingMode, boolean> = { cls: false, max: false, mean: true, mean_sqrt_len_tokens: false, weightedmean: false, lasttoken: false };
      modes = POOLING_MODES.filter((m) => {
        const v = config[CONFIG_KEY[m]];
        return typeof v === 'boolean' ? v : defaults[m];
      });
    }
    const includePrompt = typeof config['include_prompt'] === 'boolean' ? (config['include_prompt'] as boolean) : true;
    return new Pooling(dim, { modes, includePrompt });
  }

  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(this.toConfig(), null, 4));
  }

  static async load(dir: string): Promise<Pooling> {
    const file = path.join(dir, 'config.json');
    return Pooling.fromConfig(await readJsonFile(file), file);
  }

  trainableWeights(): NamedWeight[] {
    return [];
  }

  dispose(): void {}
}
