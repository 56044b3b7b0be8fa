/**
 * The Transformer module as ONNX nodes: embeddings, the additive attention mask, and the
 * post-LayerNorm encoder layers of BERT, DistilBERT, RoBERTa / XLM-RoBERTa and MPNet, with the
 * same operations in the same order as the TensorFlow.js forward (modules/architectures/*).
 *
 * Graph patterns are the ones onnxruntime's CPU optimiser fuses: MatMul + Add for every Linear
 * (weights stored pre-transposed (in, out), so no Transpose runs on weights), LayerNormalization
 * after a residual Add (→ SkipLayerNormalization), GELU as Div(√2) → Erf → Add 1 → Mul x → Mul ½
 * (→ Gelu / BiasGelu).
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { mpnetRelativePositionBucket } from '../modules/architectures/mpnet.js';
import { architectureFor } from '../modules/architectures/registry.js';
import type { Transformer } from '../modules/transformer.js';
import { ONNX_TYPE, type GraphBuilder } from './graph-builder.js';
import { int8MatMul, type Int8QuantizeOptions } from './quantize.js';

/** How each architecture embeds tokens and attends (see modules/architectures/*.ts). */
interface Layout {
  /** `absolute`: positions 0..T-1; `padding-offset`: pad + cumsum(ids ≠ pad) on real tokens. */
  positions: 'absolute' | 'padding-offset';
  /** `input`: token_type_ids is a graph input; `zero`: row 0 of the table; `none`. */
  tokenTypes: 'input' | 'zero' | 'none';
  /** MPNet: Q Kᵀ / √dh plus a relative position bias. */
  mpnet: boolean;
}

const LAYOUTS: Record<string, Layout> = {
  bert: { positions: 'absolute', tokenTypes: 'input', mpnet: false },
  roberta: { positions: 'padding-offset', tokenTypes: 'zero', mpnet: false },
  'xlm-roberta': { positions: 'padding-offset', tokenTypes: 'zero', mpnet: false },
  distilbert: { positions: 'absolute', tokenTypes: 'none', mpnet: false },
  mpnet: { positions: 'padding-offset', tokenTypes: 'none', mpnet: true },
};

/** MPNet's position ids count from padding index 1 whatever pad_token_id says (as HF). */
const MPNET_PADDING_IDX = 1;

/** Whether the exported graph of this Transformer takes `token_type_ids`. */
export function usesTokenTypeIds(t: Transformer): boolean {
  return layoutOf(t).tokenTypes === 'input';
}

function layoutOf(t: Transformer): Layout {
  const type = t.config.modelType ?? 'bert';
  const layout = LAYOUTS[type];
  if (!layout) throw new ConfigError(`ONNX export: model_type '${type}' is not supported; supported: ${Object.keys(LAYOUTS).join(', ')}`, { field: 'model_type' });
  return layout;
}

export interface EncoderGraphOptions {
  /** Quantise the Linear weights of the encoder layers to int8 (dynamic quantisation). */
  int8?: Int8QuantizeOptions;
}

/** GELU (erf), in the node pattern onnxruntime fuses. */
export function geluErf(g: GraphBuilder, x: string): string {
  const erf = g.node('Erf', [g.node('Div', [x, g.f(Math.SQRT2)])]);
  return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, g.f(1)])]), g.f(0.5)]);
}

/** GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
function geluTanh(g: GraphBuilder, x: string): string {
  const cube = g.node('Mul', [g.node('Pow', [x, g.f(3)]), g.f(0.044715)]);
  const t = g.node('Tanh', [g.node('Mul', [g.node('Add', [x, cube]), g.f(Math.sqrt(2 / Math.PI))])]);
  return g.node('Mul', [g.node('Mul', [x, g.f(0.5)]), g.node('Add', [t, g.f(1)])]);
}

const HIDDEN_ACTIVATIONS: Record<string, (g: GraphBuilder, x: string) => string> = {
  gelu: geluErf,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  relu: (g, x) => g.node('Relu', [x]),
};

/**
 * Adds the encoder of `t` to `g`, reading `input_ids`, `attention_mask` (and `token_type_ids`
 * for BERT) from the graph inputs. Returns the name of the token embeddings (B, T, D).
 */
export function addEncoder(g: GraphBuilder, t: Transformer, options: EncoderGraphOptions = {}): string {
  const c = t.config;
  const layout = layoutOf(t);
  const architecture = architectureFor(c.modelType);
  const act = HIDDEN_ACTIVATIONS[c.hiddenAct];
  if (!act) throw new ConfigError(`ONNX export: hidden_act '${c.hiddenAct}' is not supported; supported: ${Object.keys(HIDDEN_ACTIVATIONS).join(', ')}`, { field: 'hidden_act' });
  const params = new Map<string, tf.Variable>(t.trainableWeights().map((w) => [w.name, w.variable]));
  const param = (name: string): tf.Variable => {
    const v = params.get(name);
    if (!v) throw new ConfigError(`ONNX export: the ${c.modelType ?? 'bert'} encoder has no weight '${name}'`);
    return v;
  };
  const weight = (name: string): string => {
    const v = param(name);
    return g.initializer(name, ONNX_TYPE.FLOAT, v.shape, v.dataSync() as Float32Array);
  };
  // x (B, T, in) · W (in, out) + b, with W held (in, out) as in the TF.js model.
  const linear = (x: string, name: string): string => {
    const w = param(`${name}.weight`);
    const [K, N] = w.shape as [number, number];
    const product = options.int8
      ? int8MatMul(g, x, `${name}.weight`, w.dataSync() as Float32Array, K, N, options.int8)
      : g.node('MatMul', [x, g.initializer(`${name}.weight.T`, ONNX_TYPE.FLOAT, [K, N], w.dataSync() as Float32Array)]);
    return g.node('Add', [product, weight(`${name}.bias`)]);
  };
  const layerNorm = (x: string, name: string): string =>
    g.node('LayerNormalization', [x, weight(`${name}.weight`), weight(`${name}.bias`)], { axis: { i: -1 }, epsilon: { f: c.layerNormEps } });

  const ids = 'input_ids';
  const T = g.node('Gather', [g.node('Shape', [ids]), g.i64(1)], { axis: { i: 0 } }); // () int64

  // Embeddings: word (+ token type) + position, then LayerNorm.
  g.scope = 'embeddings';
  let x = g.node('Gather', [weight('embeddings.word_embeddings.weight'), ids], { axis: { i: 0 } }); // (B, T, D)
  if (layout.tokenTypes === 'input') {
    x = g.node('Add', [x, g.node('Gather', [weight('embeddings.token_type_embeddings.weight'), 'token_type_ids'], { axis: { i: 0 } })]);
  } else if (layout.tokenTypes === 'zero') {
    // RoBERTa's tokenizers give no token types: every token gets row 0.
    const table = param('embeddings.token_type_embeddings.weight');
    const D = table.shape[1]!;
    const row0 = (table.dataSync() as Float32Array).slice(0, D);
    x = g.node('Add', [x, g.initializer('embeddings.token_type_embeddings.row0', ONNX_TYPE.FLOAT, [D], row0)]);
  }
  const positions = weight('embeddings.position_embeddings.weight');
  if (layout.positions === 'absolute') {
    // Rows 0..T-1 of the table, broadcast over the batch.
    const rows = g.node('Slice', [positions, g.i64([0]), g.node('Unsqueeze', [T, g.i64([0])]), g.i64([0])]); // (T, D)
    x = g.node('Add', [x, rows]);
  } else {
    const pad = layout.mpnet ? MPNET_PADDING_IDX : c.padTokenId;
    const real = g.node('Cast', [g.node('Not', [g.node('Equal', [ids, g.i64(pad)])])], { to: { i: ONNX_TYPE.INT64 } }); // (B, T)
    const cum = g.node('CumSum', [real, g.i64(1)]);
    const pos = g.node('Add', [g.node('Mul', [cum, real]), g.i64(pad)]); // pad + cumsum on real tokens, pad on padding
    x = g.node('Add', [x, g.node('Gather', [positions, pos], { axis: { i: 0 } })]);
  }
  x = layerNorm(x, 'embeddings.LayerNorm');

  // Additive mask (B, 1, 1, T): 0 where attended, the float32 minimum on padding, as HF.
  g.scope = 'mask';
  const maskF = g.node('Cast', ['attention_mask'], { to: { i: ONNX_TYPE.FLOAT } }); // (B, T)
  let bias = g.node('Unsqueeze', [g.node('Mul', [g.node('Sub', [g.f(1), maskF]), g.f(-3.4028234663852886e38)]), g.i64([1, 2])]);
  if (layout.mpnet) bias = g.node('Add', [mpnetPositionBias(g, t, param('encoder.relative_attention_bias.weight'), T), bias]); // (B, H, T, T)

  const H = c.numAttentionHeads;
  const dh = c.hiddenSize / H;
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const n = architecture.layerNames(l);
    g.scope = n.query.split('.').slice(0, 3).join('.');
    const heads = (y: string, perm: number[]): string => g.node('Transpose', [g.node('Reshape', [y, g.i64([0, 0, H, dh])])], { perm: { ints: perm } });
    const q = heads(linear(x, n.query), [0, 2, 1, 3]); // (B, H, T, dh)
    const kT = heads(linear(x, n.key), [0, 2, 3, 1]); // (B, H, dh, T)
    const v = heads(linear(x, n.value), [0, 2, 1, 3]); // (B, H, T, dh)
    // BERT scales Q first; MPNet divides the scores (they differ only in rounding).
    const scores = layout.mpnet
      ? g.node('Div', [g.node('MatMul', [q, kT]), g.f(Math.sqrt(dh))])
      : g.node('MatMul', [g.node('Mul', [q, g.f(1 / Math.sqrt(dh))]), kT]);
    const probs = g.node('Softmax', [g.node('Add', [scores, bias])], { axis: { i: -1 } }); // (B, H, T, T)
    const context = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }), g.i64([0, 0, c.hiddenSize])]); // (B, T, D)
    const attended = layerNorm(g.node('Add', [linear(context, n.out), x]), n.attentionNorm);
    const inner = act(g, linear(attended, n.ffnIn)); // (B, T, F)
    x = layerNorm(g.node('Add', [linear(inner, n.ffnOut), attended]), n.outputNorm);
  }
  g.scope = '';
  return x;
}

/**
 * MPNet's relative position bias (1, H, T, T) for the run-time length T: bias[h, i, j] =
 * relative_attention_bias[bucket(j − i), h]. The bias rows of every offset −(L−1)..L−1
 * (L = max_position_embeddings) are precomputed as a constant; the graph gathers them by j − i.
 */
function mpnetPositionBias(g: GraphBuilder, t: Transformer, table: tf.Variable, T: string): string {
  const L = t.config.maxPositionEmbeddings;
  const H = t.config.numAttentionHeads;
  const weights = table.dataSync() as Float32Array; // (buckets, H)
  const rows = new Float32Array((2 * L - 1) * H);
  for (let r = -(L - 1); r <= L - 1; r++) {
    const b = mpnetRelativePositionBucket(r);
    rows.set(weights.subarray(b * H, (b + 1) * H), (r + L - 1) * H);
  }
  const biasRows = g.initializer('encoder.relative_attention_bias.by_offset', ONNX_TYPE.FLOAT, [2 * L - 1, H], rows);
  const idx = g.node('Range', [g.i64(0), T, g.i64(1)]); // (T)
  const offset = g.node('Sub', [g.node('Unsqueeze', [idx, g.i64([0])]), g.node('Unsqueeze', [idx, g.i64([1])])]); // (T, T): j − i
  const gathered = g.node('Gather', [biasRows, g.node('Add', [offset, g.i64(L - 1)])], { axis: { i: 0 } }); // (T, T, H)
  return g.node('Unsqueeze', [g.node('Transpose', [gathered], { perm: { ints: [2, 0, 1] } }), g.i64([0])]); // (1, H, T, T)
}
