/**
 * Dynamic int8 quantisation of MatMul weights, in the form onnxruntime's own
 * `quantize_dynamic` writes and its CPU optimiser fuses into DynamicQuantizeMatMul:
 *
 *   (x_q, x_scale, x_zero) = DynamicQuantizeLinear(x)         activations: uint8, per call
 *   y = Cast(MatMulInteger(x_q, W_q, x_zero), float) · (x_scale · w_scale)
 *
 * Weights W (K, N) become int8 with a symmetric scale (zero point 0): one per output column
 * (`perChannel`, the default) or one for the whole matrix:
 *   w_scale = max|W| / q_max,  W_q = clamp(round(W / w_scale), −q_max, q_max)
 * with q_max = 127, or 63 with `reduceRange` (7-bit weights: the products of uint8 activations
 * and 7-bit weights cannot saturate the 16-bit pair sums of AVX2 / non-VNNI AVX-512 kernels,
 * the reason onnxruntime documents reduce_range for those CPUs).
 */
import { ONNX_TYPE, type GraphBuilder } from './graph-builder.js';

export interface Int8QuantizeOptions {
  /** One scale per output column (default true) or one per matrix. */
  perChannel?: boolean;
  /** 7-bit weights (q_max 63) instead of 8-bit (127). Default false. */
  reduceRange?: boolean;
}

export interface Int8Weight {
  /** (K, N) row-major int8 values. */
  values: Int8Array;
  /** N scales (per channel) or one. */
  scales: Float32Array;
}

/** Symmetric int8 quantisation of a (K, N) row-major float matrix (see the file comment). */
export function quantizeWeightInt8(w: Float32Array, K: number, N: number, options: Int8QuantizeOptions = {}): Int8Weight {
  if (w.length !== K * N) throw new RangeError(`quantizeWeightInt8: ${w.length} values for (${K}, ${N})`);
  const perChannel = options.perChannel ?? true;
  const qMax = options.reduceRange ? 63 : 127;
  const maxAbs = new Float32Array(perChannel ? N : 1);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const a = Math.abs(w[k * N + n]!);
      const c = perChannel ? n : 0;
      if (a > maxAbs[c]!) maxAbs[c] = a;
    }
  }
  // An all-zero column keeps scale 1 (its values quantise to 0 whatever the scale).
  const scales = maxAbs.map((m) => (m > 0 ? m / qMax : 1));
  const values = new Int8Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const q = Math.round(w[k * N + n]! / scales[perChannel ? n : 0]!);
      values[k * N + n] = Math.max(-qMax, Math.min(qMax, q));
    }
  }
  return { values, scales };
}

/**
 * Emits `x · W` with W quantised to int8 and x quantised at run time (see the file comment).
 * `x` is (..., K); returns (..., N) float.
 */
export function int8MatMul(g: GraphBuilder, x: string, name: string, w: Float32Array, K: number, N: number, options: Int8QuantizeOptions = {}): string {
  const { values, scales } = quantizeWeightInt8(w, K, N, options);
  const wq = g.initializer(`${name}_quantized`, ONNX_TYPE.INT8, [K, N], values);
  const ws = g.initializer(`${name}_scale`, ONNX_TYPE.FLOAT, scales.length === 1 ? [] : [N], scales);
  const [xq, xScale, xZero] = g.nodeN('DynamicQuantizeLinear', [x], {}, 3) as [string, string, string];
  const acc = g.node('MatMulInteger', [xq, wq, xZero]); // (..., N) int32
  const scale = g.node('Mul', [xScale, ws]); // () or (N)
  return g.node('Mul', [g.node('Cast', [acc], { to: { i: ONNX_TYPE.FLOAT } }), scale]);
}
