/**
 * DistilBERT (transformers' DistilBertModel): BERT's post-LayerNorm blocks under other names
 * (q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm), no token types, no
 * pooler, LayerNorm eps fixed at 1e-12, and no dropout on the attention output. Position
 * embeddings are a stored table whether `sinusoidal_pos_embds` is set or not (the sinusoids are
 * computed once at training time and saved).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../errors.js';
import type { JsonObject } from '../../serialization/json.js';
import {
  encoderLayerSpecs,
  additiveMask,
  checkHeads,
  configReader,
  embeddingSpec,
  layerNorm,
  normSpecs,
  runLayers,
  type Architecture,
  type EncoderContext,
  type ParamSpec,
  type PostLnLayerNames,
  type TransformerConfig,
} from './architecture.js';

function layerNames(l: number): PostLnLayerNames {
  const p = `transformer.layer.${l}`;
  return {
    query: `${p}.attention.q_lin`,
    key: `${p}.attention.k_lin`,
    value: `${p}.attention.v_lin`,
    out: `${p}.attention.out_lin`,
    attentionNorm: `${p}.sa_layer_norm`,
    ffnIn: `${p}.ffn.lin1`,
    ffnOut: `${p}.ffn.lin2`,
    outputNorm: `${p}.output_layer_norm`,
  };
}

export const DISTILBERT: Architecture = {
  modelType: 'distilbert',
  hfClass: 'DistilBertModel',
  basePrefix: 'distilbert.',
  layerNames,

  parseConfig(raw: JsonObject, file: string): TransformerConfig {
    const r = configReader(raw, file);
    return checkHeads({
      modelType: 'distilbert',
      vocabSize: r.int('vocab_size'),
      hiddenSize: r.int('dim', 768),
      numHiddenLayers: r.int('n_layers', 6),
      numAttentionHeads: r.int('n_heads', 12),
      intermediateSize: r.int('hidden_dim', 3072),
      hiddenAct: r.act('activation', 'gelu'),
      maxPositionEmbeddings: r.int('max_position_embeddings', 512),
      typeVocabSize: 0,
      layerNormEps: 1e-12,
      hiddenDropoutProb: r.num('dropout', 0.1),
      attentionProbsDropoutProb: r.num('attention_dropout', 0.1),
      padTokenId: r.int('pad_token_id', 0),
      sinusoidalPosEmbds: r.bool('sinusoidal_pos_embds', false),
    }, file);
  },

  toJson(c: TransformerConfig): JsonObject {
    return {
      architectures: ['DistilBertModel'],
      model_type: 'distilbert',
      vocab_size: c.vocabSize,
      dim: c.hiddenSize,
      n_layers: c.numHiddenLayers,
      n_heads: c.numAttentionHeads,
      hidden_dim: c.intermediateSize,
      activation: c.hiddenAct,
      max_position_embeddings: c.maxPositionEmbeddings,
      dropout: c.hiddenDropoutProb,
      attention_dropout: c.attentionProbsDropoutProb,
      pad_token_id: c.padTokenId,
      sinusoidal_pos_embds: c.sinusoidalPosEmbds ?? false,
      initializer_range: 0.02,
    };
  },

  paramSpecs(c: TransformerConfig): ParamSpec[] {
    const D = c.hiddenSize;
    const specs: ParamSpec[] = [
      embeddingSpec('embeddings.word_embeddings.weight', c.vocabSize, D),
      embeddingSpec('embeddings.position_embeddings.weight', c.maxPositionEmbeddings, D),
      ...normSpecs('embeddings.LayerNorm', D),
    ];
    specs.push(...encoderLayerSpecs(c, layerNames));
    return specs;
  },

  // Buffers and the heads of DistilBertFor* checkpoints.
  ignorable: (name) => name.endsWith('position_ids') || /^(vocab_transform|vocab_layer_norm|vocab_projector|pre_classifier|classifier|qa_outputs)\./.test(name),

  maxTokens: (c) => c.maxPositionEmbeddings,

  forward(ctx: EncoderContext, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor3D {
    const c = ctx.config;
    const [B, T] = inputIds.shape;
    if (T > c.maxPositionEmbeddings) throw new InputError(`sequence length ${T} exceeds max_position_embeddings ${c.maxPositionEmbeddings}`);
    const D = c.hiddenSize;
    return tf.tidy(() => {
      const x = tf.gather(ctx.p('embeddings.word_embeddings.weight'), inputIds.reshape([B * T])) // (B·T, D)
        .reshape([B, T, D])
        .add(ctx.p('embeddings.position_embeddings.weight').slice([0, 0], [T, D])); // positions 0..T-1
      const h = ctx.dropout(layerNorm(ctx, x.reshape([B * T, D]), 'embeddings.LayerNorm', c.layerNormEps), c.hiddenDropoutProb);
      return runLayers(ctx, h, attentionMask, additiveMask(attentionMask), layerNames, { attentionOutputDropout: false });
    });
  },
};
