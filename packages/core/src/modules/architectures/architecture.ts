/**
 * What an encoder architecture (BERT, DistilBERT, RoBERTa / XLM-RoBERTa, MPNet) tells the
 * Transformer module: how to read its config.json, which tensors it has (Hugging Face names and
 * shapes), which stored tensors it may ignore, and its forward pass. Plus the building blocks the
 * post-LayerNorm encoders share.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors.js';
import type { JsonObject } from '../../serialization/json.js';

export type ModelType = 'bert' | 'distilbert' | 'roberta' | 'xlm-roberta' | 'mpnet';

/**
 * Encoder hyper-parameters in one shape for every architecture (Hugging Face BERT names in
 * comments; each architecture maps its own keys onto these).
 */
export interface BertConfig {
  vocabSize: number; // vocab_size
  hiddenSize: number; // hidden_size (DistilBERT: dim)
  numHiddenLayers: number; // num_hidden_layers (n_layers)
  numAttentionHeads: number; // num_attention_heads (n_heads)
  intermediateSize: number; // intermediate_size (hidden_dim)
  hiddenAct: string; // hidden_act (activation)
  maxPositionEmbeddings: number; // max_position_embeddings
  typeVocabSize: number; // type_vocab_size (0: no token type embeddings)
  layerNormEps: number; // layer_norm_eps
  hiddenDropoutProb: number; // hidden_dropout_prob (dropout)
  attentionProbsDropoutProb: number; // attention_probs_dropout_prob (attention_dropout)
  padTokenId: number; // pad_token_id
  /** config.json's model_type; absent means BERT. */
  modelType?: ModelType;
  /** DistilBERT: position embeddings were sinusoidal (they are still stored as a tensor). */
  sinusoidalPosEmbds?: boolean;
  /** MPNet: rows of the relative attention bias table. */
  relativeAttentionNumBuckets?: number;
}

/** The config of any supported encoder (BertConfig, with `modelType` telling which). */
export type TransformerConfig = BertConfig;

/** One parameter: its Hugging Face name and shape, and whether we hold it transposed. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** Linear weights are (out, in) on disk and (in, out) in memory. */
  transposed: boolean;
  init: 'normal' | 'zeros' | 'ones';
}

/** What an architecture's forward pass can use. */
export interface EncoderContext {
  readonly config: TransformerConfig;
  /** The attention mask on the host, when the caller has it (saves reading the tensor back). */
  readonly attentionMaskValues?: ArrayLike<number>;
  /** A parameter in its in-memory layout (Linear weights (in, out)). */
  p(name: string): tf.Tensor;
  /** The configured activation (exact erf GELU for `gelu`). */
  act(x: tf.Tensor): tf.Tensor;
  /** Dropout when training (each call is its own seeded site), identity otherwise. */
  dropout(x: tf.Tensor, rate: number): tf.Tensor;
}

export interface Architecture {
  readonly modelType: ModelType;
  /** The class written to config.json's `architectures` on save. */
  readonly hfClass: string;
  /** The prefix task-head checkpoints put before encoder tensors (`bert.`, `roberta.`, ...). */
  readonly basePrefix: string;
  parseConfig(raw: JsonObject, file: string): TransformerConfig;
  toJson(config: TransformerConfig): JsonObject;
  paramSpecs(config: TransformerConfig, withPooler: boolean): ParamSpec[];
  /** Stored tensors the encoder does not use (buffers, task heads). */
  ignorable(name: string): boolean;
  /** The longest sequence (special tokens included) the position table has room for. */
  maxTokens(config: TransformerConfig): number;
  /** Hugging Face tensor names of encoder layer `l` (the ONNX export reads them too). */
  layerNames(l: number): PostLnLayerNames;
  /** (B, T) ids and mask (+ token types) → (B, T, D) token embeddings. */
  forward(ctx: EncoderContext, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, tokenTypeIds: tf.Tensor2D | undefined): tf.Tensor3D;
}

export const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  // Exact GELU with erf, as torch's default.
  gelu: (x) => x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)),
  // tanh approximation.
  gelu_new: (x) => geluTanh(x),
  gelu_pytorch_tanh: (x) => geluTanh(x),
  relu: (x) => tf.relu(x),
};
function geluTanh(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
}

/** Typed readers for config.json fields, with errors naming the file and the key. */
export function configReader(raw: JsonObject, file: string): {
  int(key: string, fallback?: number): number;
  num(key: string, fallback: number): number;
  act(key: string, fallback: string): string;
  bool(key: string, fallback: boolean): boolean;
} {
  return {
    int(key, fallback) {
      const v = raw[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new ConfigError(`${file}: ${key} must be a non-negative integer, got ${JSON.stringify(raw[key])}`, { file, field: key });
      }
      return v;
    },
    num(key, fallback) {
      const v = raw[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${file}: ${key} must be a non-negative number`, { file, field: key });
      return v;
    },
    act(key, fallback) {
      const v = String(raw[key] ?? fallback);
      if (!(v in ACTIVATIONS)) throw new ConfigError(`${file}: ${key} '${v}' is not supported; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`, { file, field: key });
      return v;
    },
    bool(key, fallback) {
      const v = raw[key] ?? fallback;
      if (typeof v !== 'boolean') throw new ConfigError(`${file}: ${key} must be true or false`, { file, field: key });
      return v;
    },
  };
}

/** Checks what every encoder needs of its config. */
export function checkHeads(c: TransformerConfig, file: string): TransformerConfig {
  if (c.numAttentionHeads === 0 || c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new ConfigError(`${file}: hidden_size ${c.hiddenSize} is not a multiple of num_attention_heads ${c.numAttentionHeads}`, { file, field: 'num_attention_heads' });
  }
  return c;
}

export function linearSpecs(name: string, out: number, inp: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [out, inp], transposed: true, init: 'normal' },
    { name: `${name}.bias`, shape: [out], transposed: false, init: 'zeros' },
  ];
}

export function normSpecs(name: string, dim: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [dim], transposed: false, init: 'ones' },
    { name: `${name}.bias`, shape: [dim], transposed: false, init: 'zeros' },
  ];
}

/** The parameters of every post-LayerNorm encoder layer (attention, its norm, FFN, its norm). */
export function encoderLayerSpecs(c: TransformerConfig, namesOf: (l: number) => PostLnLayerNames): ParamSpec[] {
  const D = c.hiddenSize;
  const F = c.intermediateSize;
  const specs: ParamSpec[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const n = namesOf(l);
    specs.push(
      ...linearSpecs(n.query, D, D),
      ...linearSpecs(n.key, D, D),
      ...linearSpecs(n.value, D, D),
      ...linearSpecs(n.out, D, D),
      ...normSpecs(n.attentionNorm, D),
      ...linearSpecs(n.ffnIn, F, D),
      ...linearSpecs(n.ffnOut, D, F),
      ...normSpecs(n.outputNorm, D),
    );
  }
  return specs;
}

export function embeddingSpec(name: string, rows: number, dim: number): ParamSpec {
  return { name, shape: [rows, dim], transposed: false, init: 'normal' };
}

/** x (N, in) · W (in, out) + b. */
export function linear(ctx: EncoderContext, x: tf.Tensor, name: string): tf.Tensor {
  return tf.matMul(x as tf.Tensor2D, ctx.p(`${name}.weight`) as tf.Tensor2D).add(ctx.p(`${name}.bias`));
}

/** LayerNorm over the last axis with the biased variance, as torch. */
export function layerNorm(ctx: EncoderContext, x: tf.Tensor, name: string, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(ctx.p(`${name}.weight`)).add(ctx.p(`${name}.bias`));
}

/** Additive attention mask (B, 1, 1, T): 0 where attended, the float32 minimum on padding, as HF. */
export function additiveMask(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [B, T] = attentionMask.shape;
  return tf.sub(1, tf.cast(attentionMask, 'float32')).mul(-3.4028234663852886e38).reshape([B, 1, 1, T]);
}

/**
 * Position ids that skip padding, as HF's create_position_ids_from_input_ids (RoBERTa, XLM-R,
 * MPNet): pad + cumsum(ids != pad) on real tokens, `pad` on padding tokens. (B, T) int32.
 */
export function paddingOffsetPositions(inputIds: tf.Tensor2D, pad: number): tf.Tensor2D {
  return tf.tidy(() => {
    const real = tf.cast(tf.notEqual(inputIds, pad), 'int32');
    // tf.cumsum may return float32: counts stay exact far beyond any sequence length.
    return tf.cast(tf.cumsum(real, 1), 'int32').mul(real).add(tf.scalar(pad, 'int32')) as tf.Tensor2D;
  });
}

/** Tensor names of one post-LayerNorm encoder layer. */
export interface PostLnLayerNames {
  query: string;
  key: string;
  value: string;
  out: string;
  attentionNorm: string;
  ffnIn: string;
  ffnOut: string;
  outputNorm: string;
}

/**
 * Where the real tokens of a (B, T) batch are. The layers' per-token work (projections, FFN,
 * LayerNorm, dropout) runs on the N real tokens only ("packed", N × D); only the attention needs
 * the (B, T) grid, so q, k and v are scattered onto it and the context gathered back. Padding
 * never influences a real token (its keys are masked), so this equals the padded computation
 * while skipping the padding's share of the work (a length-sorted batch of real sentences is
 * often a quarter padding, a training batch of random pairs half).
 */
export interface TokenLayout {
  B: number;
  T: number;
  /** Real tokens (attention mask 1). */
  n: number;
  /** Slot (b·T + t) of each real token, (N) int32; absent when there is no padding (N = B·T). */
  rows?: tf.Tensor1D;
  /** Packed row of each slot, (B·T) int32, with N (a zero row) for padding; absent with `rows`. */
  slots?: tf.Tensor1D;
}

/**
 * The layout of a batch from its (B, T) attention mask: `values` when given (the tokenizer's
 * mask), else the tensor read back.
 */
export function tokenLayout(attentionMask: tf.Tensor2D, values?: ArrayLike<number>): TokenLayout {
  const [B, T] = attentionMask.shape;
  const mask = values !== undefined && values.length === B * T ? values : attentionMask.dataSync();
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  if (n === B * T) return { B, T, n };
  const rows = new Int32Array(n);
  const slots = new Int32Array(B * T);
  for (let i = 0, r = 0; i < mask.length; i++) {
    if (mask[i] !== 0) {
      rows[r] = i;
      slots[i] = r++;
    } else {
      slots[i] = n;
    }
  }
  return { B, T, n, rows: tf.tensor1d(rows, 'int32'), slots: tf.tensor1d(slots, 'int32') };
}

/** (B·T, D) → (N, D): the real tokens' rows. */
export function pack(x: tf.Tensor, layout: TokenLayout): tf.Tensor {
  return layout.rows ? tf.gather(x, layout.rows) : x;
}

/** (N, D) → (B·T, D), zeros on padding. */
export function unpack(x: tf.Tensor, layout: TokenLayout): tf.Tensor {
  if (!layout.slots) return x;
  return tf.gather(tf.concat([x, tf.zeros([1, x.shape[1]!])], 0), layout.slots);
}

/**
 * One post-LayerNorm encoder layer on the packed tokens h (N, D) (see TokenLayout):
 *   a = LN(h + Drop(O · softmax(Q Kᵀ / √dh + bias) V)),  out = LN(a + Drop(W₂ act(W₁ a)))
 * `bias` is the additive mask (B, 1, 1, T), or mask + relative position bias (B, H, T, T).
 * `scoresThenScale` divides Q Kᵀ by √dh (MPNet) instead of scaling Q first (BERT); the two differ
 * only in float rounding. DistilBERT has no dropout on the attention output.
 */
export function postLnLayer(
  ctx: EncoderContext,
  h: tf.Tensor,
  names: PostLnLayerNames,
  layout: TokenLayout,
  bias: tf.Tensor,
  options: { scoresThenScale?: boolean; attentionOutputDropout?: boolean } = {},
): tf.Tensor {
  const c = ctx.config;
  const { B, T } = layout;
  const D = c.hiddenSize;
  const H = c.numAttentionHeads;
  const dh = D / H;
  const grid = (x: tf.Tensor): tf.Tensor => unpack(x, layout).reshape([B, T, H, dh]);
  const q = grid(linear(ctx, h, names.query)).transpose([0, 2, 1, 3]); // (B, H, T, dh)
  const kT = grid(linear(ctx, h, names.key)).transpose([0, 2, 3, 1]); // (B, H, dh, T)
  const v = grid(linear(ctx, h, names.value)).transpose([0, 2, 1, 3]); // (B, H, T, dh)
  const scores = options.scoresThenScale
    ? tf.matMul(q as tf.Tensor4D, kT as tf.Tensor4D).div(Math.sqrt(dh)).add(bias)
    : tf.matMul(q.mul(1 / Math.sqrt(dh)) as tf.Tensor4D, kT as tf.Tensor4D).add(bias); // (B, H, T, T)
  const probs = ctx.dropout(tf.softmax(scores), c.attentionProbsDropoutProb);
  const context = pack(tf.matMul(probs as tf.Tensor4D, v as tf.Tensor4D).transpose([0, 2, 1, 3]).reshape([B * T, D]), layout); // (N, D)
  let attnOut = linear(ctx, context, names.out);
  if (options.attentionOutputDropout !== false) attnOut = ctx.dropout(attnOut, c.hiddenDropoutProb);
  const attended = layerNorm(ctx, attnOut.add(h), names.attentionNorm, c.layerNormEps);
  const inner = ctx.act(linear(ctx, attended, names.ffnIn)); // (N, F)
  return layerNorm(ctx, ctx.dropout(linear(ctx, inner, names.ffnOut), c.hiddenDropoutProb).add(attended), names.outputNorm, c.layerNormEps);
}

/**
 * Runs `layers` post-LN layers, each in its own tidy, on x (B·T, D) with the batch's attention
 * mask; returns (B, T, D) with zeros on padding (which every pooling mode masks out).
 */
export function runLayers(
  ctx: EncoderContext,
  x: tf.Tensor,
  attentionMask: tf.Tensor2D,
  bias: tf.Tensor,
  namesOf: (l: number) => PostLnLayerNames,
  options?: { scoresThenScale?: boolean; attentionOutputDropout?: boolean },
): tf.Tensor3D {
  const layout = tokenLayout(attentionMask, ctx.attentionMaskValues);
  const { B, T } = layout;
  try {
    x = pack(x, layout);
    for (let l = 0; l < ctx.config.numHiddenLayers; l++) {
      const h = x;
      x = tf.tidy(() => postLnLayer(ctx, h, namesOf(l), layout, bias, options));
    }
    return unpack(x, layout).reshape([B, T, ctx.config.hiddenSize]) as tf.Tensor3D;
  } finally {
    tf.dispose([layout.rows, layout.slots].filter((t): t is tf.Tensor1D => t !== undefined));
  }
}
