/**
 * MPNet (transformers' MPNetModel): BERT-like post-LayerNorm layers (attention.attn.{q,k,v,o}),
 * positions counted from padding_idx + 1 = 2 (HF fixes padding_idx at 1), no token types, and a
 * relative position bias shared by all layers and added to the attention scores:
 *   bias[h, i, j] = relative_attention_bias[bucket(j - i), h]
 * with T5-style bidirectional buckets (32 buckets, max distance 128; HF always uses 32, whatever
 * relative_attention_num_buckets says, so the table needs at least 32 rows).
 * Reference: MPNetEncoder.compute_position_bias / relative_position_bucket.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../../errors.js';
import type { JsonObject } from '../../serialization/json.js';
import {
  encoderLayerSpecs,
  additiveMask,
  checkHeads,
  configReader,
  embeddingSpec,
  layerNorm,
  linearSpecs,
  normSpecs,
  paddingOffsetPositions,
  runLayers,
  type Architecture,
  type EncoderContext,
  type ParamSpec,
  type PostLnLayerNames,
  type TransformerConfig,
} from './architecture.js';

/** MPNet's position ids treat id 1 as padding whatever the config says. */
const MPNET_PADDING_IDX = 1;
const NUM_BUCKETS = 32;
const MAX_DISTANCE = 128;

/**
 * The bucket of a relative position (memory − context), as MPNetEncoder.relative_position_bucket
 * computes it in float32: half the buckets for each direction, exact below 8, logarithmic up to
 * 128, the last bucket beyond.
 */
export function mpnetRelativePositionBucket(relativePosition: number, numBuckets = NUM_BUCKETS, maxDistance = MAX_DISTANCE): number {
  const f = Math.fround;
  const half = Math.floor(numBuckets / 2);
  let n = -relativePosition;
  const ret = n < 0 ? half : 0;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return ret + n;
  // torch: (log(n.float() / max_exact) / log(max_distance / max_exact) * (half - max_exact)).to(long)
  const large = maxExact + Math.trunc(f(f(f(Math.log(f(n / maxExact))) / f(Math.log(maxDistance / maxExact))) * (half - maxExact)));
  return ret + Math.min(large, half - 1);
}

function layerNames(l: number): PostLnLayerNames {
  const p = `encoder.layer.${l}`;
  return {
    query: `${p}.attention.attn.q`,
    key: `${p}.attention.attn.k`,
    value: `${p}.attention.attn.v`,
    out: `${p}.attention.attn.o`,
    attentionNorm: `${p}.attention.LayerNorm`,
    ffnIn: `${p}.intermediate.dense`,
    ffnOut: `${p}.output.dense`,
    outputNorm: `${p}.output.LayerNorm`,
  };
}

/** The relative position bias (1, H, T, T) for a sequence of length T. */
function positionBias(ctx: EncoderContext, T: number): tf.Tensor4D {
  const buckets = new Int32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) buckets[i * T + j] = mpnetRelativePositionBucket(j - i);
  const H = ctx.config.numAttentionHeads;
  return tf.tidy(() =>
    tf.gather(ctx.p('encoder.relative_attention_bias.weight'), tf.tensor1d(buckets, 'int32')) // (T·T, H)
      .reshape([T, T, H])
      .transpose([2, 0, 1])
      .reshape([1, H, T, T]) as tf.Tensor4D,
  );
}

export const MPNET: Architecture = {
  modelType: 'mpnet',
  hfClass: 'MPNetModel',
  basePrefix: 'mpnet.',
  layerNames,

  parseConfig(raw: JsonObject, file: string): TransformerConfig {
    const r = configReader(raw, file);
    const config = checkHeads({
      modelType: 'mpnet',
      vocabSize: r.int('vocab_size'),
      hiddenSize: r.int('hidden_size'),
      numHiddenLayers: r.int('num_hidden_layers'),
      numAttentionHeads: r.int('num_attention_heads'),
      intermediateSize: r.int('intermediate_size'),
      hiddenAct: r.act('hidden_act', 'gelu'),
      maxPositionEmbeddings: r.int('max_position_embeddings', 512),
      typeVocabSize: 0,
      layerNormEps: r.num('layer_norm_eps', 1e-12),
      hiddenDropoutProb: r.num('hidden_dropout_prob', 0.1),
      attentionProbsDropoutProb: r.num('attention_probs_dropout_prob', 0.1),
      padTokenId: r.int('pad_token_id', 1),
      relativeAttentionNumBuckets: r.int('relative_attention_num_buckets', NUM_BUCKETS),
    }, file);
    if (config.relativeAttentionNumBuckets! < NUM_BUCKETS) {
      throw new ConfigError(`${file}: relative_attention_num_buckets ${config.relativeAttentionNumBuckets} is below the ${NUM_BUCKETS} buckets MPNet always uses`, { file, field: 'relative_attention_num_buckets' });
    }
    return config;
  },

  toJson(c: TransformerConfig): JsonObject {
    return {
      architectures: ['MPNetModel'],
      model_type: 'mpnet',
      vocab_size: c.vocabSize,
      hidden_size: c.hiddenSize,
      num_hidden_layers: c.numHiddenLayers,
      num_attention_heads: c.numAttentionHeads,
      intermediate_size: c.intermediateSize,
      hidden_act: c.hiddenAct,
      max_position_embeddings: c.maxPositionEmbeddings,
      layer_norm_eps: c.layerNormEps,
      hidden_dropout_prob: c.hiddenDropoutProb,
      attention_probs_dropout_prob: c.attentionProbsDropoutProb,
      pad_token_id: c.padTokenId,
      relative_attention_num_buckets: c.relativeAttentionNumBuckets ?? NUM_BUCKETS,
      initializer_range: 0.02,
    };
  },

  paramSpecs(c: TransformerConfig, withPooler: boolean): ParamSpec[] {
    const D = c.hiddenSize;
    const specs: ParamSpec[] = [
      embeddingSpec('embeddings.word_embeddings.weight', c.vocabSize, D),
      embeddingSpec('embeddings.position_embeddings.weight', c.maxPositionEmbeddings, D),
      ...normSpecs('embeddings.LayerNorm', D),
      embeddingSpec('encoder.relative_attention_bias.weight', c.relativeAttentionNumBuckets ?? NUM_BUCKETS, c.numAttentionHeads),
    ];
    specs.push(...encoderLayerSpecs(c, layerNames));
    if (withPooler) specs.push(...linearSpecs('pooler.dense', D, D));
    return specs;
  },

  ignorable: (name) => name.endsWith('position_ids') || /^(lm_head|classifier|qa_outputs)\./.test(name),

  maxTokens: (c) => c.maxPositionEmbeddings - MPNET_PADDING_IDX - 1,

  forward(ctx: EncoderContext, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor3D {
    const c = ctx.config;
    const [B, T] = inputIds.shape;
    const limit = c.maxPositionEmbeddings - MPNET_PADDING_IDX - 1;
    if (T > limit) throw new InputError(`sequence length ${T} exceeds the ${limit} positions of the model (max_position_embeddings ${c.maxPositionEmbeddings})`);
    return tf.tidy(() => {
      const positions = paddingOffsetPositions(inputIds, MPNET_PADDING_IDX).reshape([B * T]);
      const x = tf.gather(ctx.p('embeddings.word_embeddings.weight'), inputIds.reshape([B * T])) // (B·T, D)
        .add(tf.gather(ctx.p('embeddings.position_embeddings.weight'), positions));
      const h = ctx.dropout(layerNorm(ctx, x, 'embeddings.LayerNorm', c.layerNormEps), c.hiddenDropoutProb);
      // scores + position bias + mask, as HF; the bias (1, H, T, T) is the same in every layer.
      const bias = positionBias(ctx, T).add(additiveMask(attentionMask)); // (B, H, T, T)
      return runLayers(ctx, h, attentionMask, bias, layerNames, { scoresThenScale: true });
    });
  },
};
