/**
 * Pooling, Dense and Normalize as ONNX nodes, with the formulas of modules/pooling.ts,
 * modules/dense.ts and modules/normalize.ts (sentence-transformers' semantics):
 * - mean: Σ(tok·mask) / max(Σmask, 1e-9); mean_sqrt_len_tokens: Σ(tok·mask) / √max(Σmask, 1e-9)
 * - max: padding set to −1e9, then the max over tokens; cls: token 0
 * - weightedmean: weights 1..T times the mask; lasttoken: the last position whose mask is 1
 * - several modes are concatenated in the module's order
 * - Dense: act(x·W + b), W held (in, out); Normalize: x / max(‖x‖₂, 1e-12)
 */
import { ConfigError } from '../errors.js';
import type { Dense } from '../modules/dense.js';
import type { Pooling, PoolingMode } from '../modules/pooling.js';
import { geluErf } from './encoder-graph.js';
import { ONNX_TYPE, type GraphBuilder } from './graph-builder.js';

/** (B, T, D) token embeddings + the `attention_mask` input → (B, k·D). */
export function addPooling(g: GraphBuilder, pooling: Pooling, tok: string): string {
  g.scope = 'pooling';
  const mask = 'attention_mask';
  const mask3 = g.node('Unsqueeze', [g.node('Cast', [mask], { to: { i: ONNX_TYPE.FLOAT } }), g.i64([2])]); // (B, T, 1)
  const T = g.node('Gather', [g.node('Shape', [mask]), g.i64(1)], { axis: { i: 0 } }); // ()
  let sum: string | undefined;
  let count: string | undefined;
  const meanParts = (): [string, string] => {
    sum ??= g.node('ReduceSum', [g.node('Mul', [tok, mask3]), g.i64([1])], { keepdims: { i: 0 } }); // (B, D)
    count ??= g.node('ReduceSum', [mask3, g.i64([1])], { keepdims: { i: 0 } }); // (B, 1)
    return [sum, count];
  };
  const modes: Record<PoolingMode, () => string> = {
    cls: () => g.node('Gather', [tok, g.i64(0)], { axis: { i: 1 } }),
    max: () => {
      const masked = g.node('Where', [g.node('Cast', [mask3], { to: { i: ONNX_TYPE.BOOL } }), tok, g.f(-1e9)]);
      return g.node('ReduceMax', [masked], { axes: { ints: [1] }, keepdims: { i: 0 } });
    },
    mean: () => {
      const [s, c] = meanParts();
      return g.node('Div', [s, g.node('Max', [c, g.f(1e-9)])]);
    },
    mean_sqrt_len_tokens: () => {
      const [s, c] = meanParts();
      return g.node('Div', [s, g.node('Sqrt', [g.node('Max', [c, g.f(1e-9)])])]);
    },
    weightedmean: () => {
      const last = g.node('Add', [g.node('Cast', [T], { to: { i: ONNX_TYPE.FLOAT } }), g.f(1)]);
      const positions = g.node('Range', [g.f(1), last, g.f(1)]); // (T): 1..T
      const w = g.node('Mul', [g.node('Unsqueeze', [positions, g.i64([0, 2])]), mask3]); // (B, T, 1)
      const s = g.node('ReduceSum', [g.node('Mul', [tok, w]), g.i64([1])], { keepdims: { i: 0 } });
      return g.node('Div', [s, g.node('Max', [g.node('ReduceSum', [w, g.i64([1])], { keepdims: { i: 0 } }), g.f(1e-9)])]);
    },
    lasttoken: () => {
      // Index of the last 1 in the mask (0 when the mask is all zero, as ST).
      const idx = g.node('Range', [g.i64(0), T, g.i64(1)]); // (T)
      const maskI = g.node('Cast', [mask], { to: { i: ONNX_TYPE.INT64 } });
      const last = g.node('ReduceMax', [g.node('Mul', [idx, maskI])], { axes: { ints: [1] }, keepdims: { i: 1 } }); // (B, 1)
      return g.node('GatherND', [tok, last], { batch_dims: { i: 1 } }); // (B, D)
    },
  };
  const parts = pooling.modes.map((m) => modes[m]());
  const out = parts.length === 1 ? parts[0]! : g.node('Concat', parts, { axis: { i: 1 } });
  g.scope = '';
  return out;
}

const DENSE_ACTIVATIONS: Record<string, (g: GraphBuilder, x: string) => string> = {
  'torch.nn.modules.activation.Tanh': (g, x) => g.node('Tanh', [x]),
  'torch.nn.modules.linear.Identity': (_g, x) => x,
  'torch.nn.modules.activation.ReLU': (g, x) => g.node('Relu', [x]),
  'torch.nn.modules.activation.Sigmoid': (g, x) => g.node('Sigmoid', [x]),
  'torch.nn.modules.activation.GELU': geluErf,
};

/** act(x · W + b) on (B, in). `index` keeps the weight names of several Dense modules apart. */
export function addDense(g: GraphBuilder, dense: Dense, x: string, index: number): string {
  const act = DENSE_ACTIVATIONS[dense.activationFunction];
  if (!act) throw new ConfigError(`ONNX export: Dense activation '${dense.activationFunction}' is not supported; supported: ${Object.keys(DENSE_ACTIVATIONS).join(', ')}`, { field: 'activation_function' });
  g.scope = `${index}_Dense`;
  const weights = new Map(dense.trainableWeights().map((w) => [w.name, w.variable]));
  const kernel = weights.get('linear.weight')!; // (in, out)
  let y = g.node('MatMul', [x, g.initializer(`${index}_Dense.linear.weight.T`, ONNX_TYPE.FLOAT, kernel.shape, kernel.dataSync() as Float32Array)]);
  const bias = weights.get('linear.bias');
  if (bias) y = g.node('Add', [y, g.initializer(`${index}_Dense.linear.bias`, ONNX_TYPE.FLOAT, bias.shape, bias.dataSync() as Float32Array)]);
  const out = act(g, y);
  g.scope = '';
  return out;
}

/** x / max(‖x‖₂, 1e-12) over the last axis, as torch.nn.functional.normalize. */
export function addNormalize(g: GraphBuilder, x: string): string {
  const norm = g.node('ReduceL2', [x], { axes: { ints: [-1] }, keepdims: { i: 1 } });
  return g.node('Div', [x, g.node('Max', [norm, g.f(1e-12)])]);
}
