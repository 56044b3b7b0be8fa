/**
 * BERT (transformers' BertModel) and the encoders built on its blocks: RoBERTa and XLM-RoBERTa
 * differ only in their embeddings (positions counted from padding_idx + 1, skipping padding, and
 * a single token type). Post-LayerNorm layers, exact erf GELU.
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
  type ModelType,
  type ParamSpec,
  type PostLnLayerNames,
  type TransformerConfig,
} from './architecture.js';

interface BertLikeOptions {
  modelType: ModelType;
  hfClass: string;
  basePrefix: string;
  /** `absolute`: 0..T-1 (BERT); `padding-offset`: pad + 1 + index of real tokens (RoBERTa). */
  positions: 'absolute' | 'padding-offset';
  /** Whether token type ids from the tokenizer are used (BERT) or always 0 (RoBERTa: its tokenizers give none). */
  tokenTypes: boolean;
  defaults: { padTokenId: number };
  /** Task heads and buffers of this family's checkpoints. */
  heads: RegExp;
}

function layerNames(l: number): PostLnLayerNames {
  const p = `encoder.layer.${l}`;
  return {
    query: `${p}.attention.self.query`,
    key: `${p}.attention.self.key`,
    value: `${p}.attention.self.value`,
    out: `${p}.attention.output.dense`,
    attentionNorm: `${p}.attention.output.LayerNorm`,
    ffnIn: `${p}.intermediate.dense`,
    ffnOut: `${p}.output.dense`,
    outputNorm: `${p}.output.LayerNorm`,
  };
}

function bertLike(o: BertLikeOptions): Architecture {
  const offset = (c: TransformerConfig): number => (o.positions === 'padding-offset' ? c.padTokenId + 1 : 0);
  return {
    modelType: o.modelType,
    hfClass: o.hfClass,
    basePrefix: o.basePrefix,
    layerNames,

    parseConfig(raw: JsonObject, file: string): TransformerConfig {
      const r = configReader(raw, file);
      const pet = raw['position_embedding_type'] ?? 'absolute';
      if (pet !== 'absolute') {
        throw new ConfigError(`${file}: position_embedding_type '${String(pet)}' is not supported; expected 'absolute'`, { file, field: 'position_embedding_type' });
      }
      const config: TransformerConfig = {
        vocabSize: r.int('vocab_size'),
        hiddenSize: r.int('hidden_size'),
        numHiddenLayers: r.int('num_hidden_layers'),
        numAttentionHeads: r.int('num_attention_heads'),
        intermediateSize: r.int('intermediate_size'),
        hiddenAct: r.act('hidden_act', 'gelu'),
        maxPositionEmbeddings: r.int('max_position_embeddings', 512),
        typeVocabSize: r.int('type_vocab_size', 2),
        layerNormEps: r.num('layer_norm_eps', 1e-12),
        hiddenDropoutProb: r.num('hidden_dropout_prob', 0.1),
        attentionProbsDropoutProb: r.num('attention_probs_dropout_prob', 0.1),
        padTokenId: r.int('pad_token_id', o.defaults.padTokenId),
      };
      if (o.modelType !== 'bert') config.modelType = o.modelType;
      return checkHeads(config, file);
    },

    toJson(c: TransformerConfig): JsonObject {
      return {
        architectures: [o.hfClass],
        model_type: o.modelType,
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
    },

    paramSpecs(c: TransformerConfig, withPooler: boolean): ParamSpec[] {
      const D = c.hiddenSize;
      const specs: ParamSpec[] = [
        embeddingSpec('embeddings.word_embeddings.weight', c.vocabSize, D),
        embeddingSpec('embeddings.position_embeddings.weight', c.maxPositionEmbeddings, D),
        embeddingSpec('embeddings.token_type_embeddings.weight', c.typeVocabSize, D),
        ...normSpecs('embeddings.LayerNorm', D),
      ];
      specs.push(...encoderLayerSpecs(c, layerNames));
      if (withPooler) specs.push(...linearSpecs('pooler.dense', D, D));
      return specs;
    },

    ignorable: (name) => name.endsWith('position_ids') || name.endsWith('embeddings.token_type_ids') || o.heads.test(name),

    maxTokens: (c) => c.maxPositionEmbeddings - offset(c),

    forward(ctx: EncoderContext, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, tokenTypeIds: tf.Tensor2D | undefined): tf.Tensor3D {
      const c = ctx.config;
      const [B, T] = inputIds.shape;
      const limit = c.maxPositionEmbeddings - offset(c);
      if (T > limit) throw new InputError(`sequence length ${T} exceeds the ${limit} positions of the model (max_position_embeddings ${c.maxPositionEmbeddings})`);
      const D = c.hiddenSize;
      return tf.tidy(() => {
        const ids = inputIds.reshape([B * T]);
        const types = o.tokenTypes && tokenTypeIds ? tokenTypeIds.reshape([B * T]) : tf.zeros([B * T], 'int32');
        let x: tf.Tensor = tf.gather(ctx.p('embeddings.word_embeddings.weight'), ids) // (B·T, D)
          .add(tf.gather(ctx.p('embeddings.token_type_embeddings.weight'), types));
        if (o.positions === 'absolute') {
          x = x.reshape([B, T, D]).add(ctx.p('embeddings.position_embeddings.weight').slice([0, 0], [T, D])); // positions 0..T-1
        } else {
          const positions = paddingOffsetPositions(inputIds, c.padTokenId).reshape([B * T]);
          x = x.add(tf.gather(ctx.p('embeddings.position_embeddings.weight'), positions)).reshape([B, T, D]);
        }
        x = ctx.dropout(layerNorm(ctx, x.reshape([B * T, D]), 'embeddings.LayerNorm', c.layerNormEps), c.hiddenDropoutProb); // (B·T, D)
        return runLayers(ctx, x, attentionMask, additiveMask(attentionMask), layerNames);
      });
    },
  };
}

/** BERT: absolute positions 0..T-1, token types from the tokenizer. */
export const BERT: Architecture = bertLike({
  modelType: 'bert',
  hfClass: 'BertModel',
  basePrefix: 'bert.',
  positions: 'absolute',
  tokenTypes: true,
  defaults: { padTokenId: 0 },
  heads: /^(cls|classifier|qa_outputs)\./,
});

/** RoBERTa: positions from padding_idx + 1, token type 0 (its tokenizer returns no token types). */
export const ROBERTA: Architecture = bertLike({
  modelType: 'roberta',
  hfClass: 'RobertaModel',
  basePrefix: 'roberta.',
  positions: 'padding-offset',
  tokenTypes: false,
  defaults: { padTokenId: 1 },
  heads: /^(lm_head|classifier|qa_outputs)\./,
});

/** XLM-RoBERTa: the RoBERTa encoder (with a SentencePiece/Unigram tokenizer). */
export const XLM_ROBERTA: Architecture = bertLike({
  modelType: 'xlm-roberta',
  hfClass: 'XLMRobertaModel',
  basePrefix: 'roberta.',
  positions: 'padding-offset',
  tokenTypes: false,
  defaults: { padTokenId: 1 },
  heads: /^(lm_head|classifier|qa_outputs)\./,
});
