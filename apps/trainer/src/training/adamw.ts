import { tf, type NamedWeight } from '@sbert/core';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Parameter names that get no weight decay. Default: bias and LayerNorm, as ST's fit(). */
  noDecay?: (name: string) => boolean;
}

/** sentence-transformers' fit(): no decay for names containing bias, LayerNorm.bias, LayerNorm.weight. */
export const noDecayBiasAndLayerNorm = (name: string): boolean => /bias|LayerNorm\.weight/.test(name);

/** Σ x², with four accumulators (one float64 chain per element would be latency-bound). */
export function sumOfSquares(x: Float32Array): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const n = x.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a += x[i]! * x[i]!;
    b += x[i + 1]! * x[i + 1]!;
    c += x[i + 2]! * x[i + 2]!;
    d += x[i + 3]! * x[i + 3]!;
  }
  for (; i < n; i++) a += x[i]! * x[i]!;
  return a + b + c + d;
}

/** What every weight's update in one AdamW step uses (see AdamW.beginStep). */
export interface StepScalars {
  b1: number;
  b2: number;
  eps: number;
  /** lr / (1 − β1ᵗ) */
  stepSize: number;
  /** 1 / √(1 − β2ᵗ) */
  invBc2Sqrt: number;
}

/**
 * One AdamW update of one weight (or a range of it) in a single pass: float64 arithmetic,
 * float32 storage (torch rounds after every op; the difference is within float32 rounding of the
 * result). `g` is scaled by `scale` (gradient clipping); `out` may be `p` itself.
 */
export function adamwStep(out: Float32Array, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scale: number, s: StepScalars, decay: number): void {
  const { b1, b2, eps, stepSize, invBc2Sqrt } = s;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! * scale;
    const mi = b1 * m[i]! + c1 * gi;
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    out[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
  }
}

/** torch's clip_grad_norm_ coefficient: max_norm / (norm + 1e-6), at most 1. */
export function clipScale(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** Optimizer state, in plain arrays, for checkpoints. */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export interface ApplyOptions {
  /** Clip the gradients to this global L2 norm first (torch's clip_grad_norm_); 0 or absent: no clipping. */
  maxGradNorm?: number;
  /** Called with each weight's new values right after they are assigned (DataParallel shares them with its workers). */
  onUpdated?: (name: string, values: Float32Array) => void;
}

/**
 * AdamW as torch.optim.AdamW (decoupled weight decay, bias-corrected moments):
 *   p ← p − lr·wd·p;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
 * Defaults are torch's (β = 0.9, 0.999, ε = 1e-8) with ST fit()'s weight decay 0.01.
 *
 * The update is one fused pass per weight over plain arrays (the moments live in JS memory, not
 * on the backend: on wasm that keeps 2 × the model's size out of its 4 GB heap), instead of a
 * dozen tensor ops each reading and writing every parameter. The moments are two flat shared
 * buffers (weights in order), so helper threads can update a share of the weights in place
 * (DataParallel.applyOptimizer).
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;
  private t = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private readonly decays: Map<string, boolean>;
  private readonly mBuffer: SharedArrayBuffer;
  private readonly vBuffer: SharedArrayBuffer;
  private readonly offsets = new Map<string, number>();

  constructor(private readonly weights: NamedWeight[], options: AdamWOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    const noDecay = options.noDecay ?? noDecayBiasAndLayerNorm;
    this.decays = new Map(weights.map((w) => [w.name, !noDecay(w.name)]));
    const total = weights.reduce((n, w) => n + w.variable.size, 0);
    this.mBuffer = new SharedArrayBuffer(total * 4);
    this.vBuffer = new SharedArrayBuffer(total * 4);
    let offset = 0;
    for (const w of weights) {
      if (this.m.has(w.name)) throw new Error(`AdamW: two weights are named '${w.name}'`);
      this.offsets.set(w.name, offset);
      this.m.set(w.name, new Float32Array(this.mBuffer, offset * 4, w.variable.size));
      this.v.set(w.name, new Float32Array(this.vBuffer, offset * 4, w.variable.size));
      offset += w.variable.size;
    }
  }

  /** The moments: two flat shared buffers (float32, weights in order) and each weight's offset in them. */
  get moments(): { m: SharedArrayBuffer; v: SharedArrayBuffer; offsets: ReadonlyMap<string, number> } {
    return { m: this.mBuffer, v: this.vBuffer, offsets: this.offsets };
  }

  /** The weight-decay multiplier of a weight at the current learning rate (1: no decay). */
  decay(name: string): number {
    return this.decays.get(name) && this.weightDecay > 0 ? 1 - this.lr * this.weightDecay : 1;
  }

  /** Counts one more step and returns what every weight's update in it uses. */
  beginStep(): StepScalars {
    this.t += 1;
    return { b1: this.beta1, b2: this.beta2, eps: this.eps, stepSize: this.lr / (1 - this.beta1 ** this.t), invBc2Sqrt: 1 / Math.sqrt(1 - this.beta2 ** this.t) };
  }

  /**
   * Updates the named weights from plain gradient arrays within the step `s` (from beginStep),
   * with the gradients scaled by `scale`. apply() is beginStep + this over every gradient.
   */
  update(grads: Map<string, Float32Array>, scale: number, s: StepScalars, onUpdated?: ApplyOptions['onUpdated']): void {
    for (const w of this.weights) {
      const g = grads.get(w.name);
      if (!g) continue;
      const p = w.variable.dataSync() as Float32Array;
      const out = new Float32Array(p.length);
      adamwStep(out, p, g, this.m.get(w.name)!, this.v.get(w.name)!, scale, s, this.decay(w.name));
      tf.tidy(() => w.variable.assign(tf.tensor(out, w.variable.shape)));
      onUpdated?.(w.name, out);
    }
  }

  get step(): number {
    return this.t;
  }

  /**
   * Applies one update with gradients keyed by weight name (missing gradients: no update, as
   * torch skips parameters whose grad is None). Returns the global gradient norm before clipping
   * when `maxGradNorm` is set.
   */
  apply(grads: Map<string, tf.Tensor>, options: ApplyOptions = {}): { gradNorm?: number } {
    const present = this.weights.filter((w) => grads.has(w.name));
    for (const w of present) {
      const g = grads.get(w.name)!;
      if (g.size !== w.variable.size) throw new Error(`AdamW: the gradient of '${w.name}' has ${g.size} values, the weight ${w.variable.size}`);
    }
    const values = new Map(present.map((w) => [w.name, grads.get(w.name)!.dataSync() as Float32Array]));
    let scale = 1;
    let gradNorm: number | undefined;
    if (options.maxGradNorm !== undefined && options.maxGradNorm > 0) {
      let sq = 0;
      for (const g of values.values()) sq += sumOfSquares(g);
      gradNorm = Math.sqrt(sq);
      scale = clipScale(gradNorm, options.maxGradNorm); // applied inside the update pass
    }
    this.update(values, scale, this.beginStep(), options.onUpdated);
    return gradNorm === undefined ? {} : { gradNorm };
  }

  getState(): AdamWState {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [name, t] of this.m) m[name] = t.slice();
    for (const [name, t] of this.v) v[name] = t.slice();
    return { step: this.t, m, v };
  }

  setState(state: AdamWState): void {
    for (const [name, t] of this.m) {
      const mv = state.m[name];
      const vv = state.v[name];
      if (!mv || !vv || mv.length !== t.length || vv.length !== t.length) throw new Error(`optimizer state has no matching moments for '${name}'`);
    }
    this.t = state.step;
    for (const [name, t] of this.m) {
      t.set(state.m[name]!);
      this.v.get(name)!.set(state.v[name]!);
    }
  }

  /** Nothing to free: the state is in plain (shared) arrays (kept for callers that dispose optimizers). */
  dispose(): void {}
}
