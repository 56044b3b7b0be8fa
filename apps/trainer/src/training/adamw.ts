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

/** Optimizer state, in plain arrays, for checkpoints. */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/**
 * AdamW as torch.optim.AdamW (decoupled weight decay, bias-corrected moments):
 *   p ← p − lr·wd·p;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
 *   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 * Defaults are torch's (β = 0.9, 0.999, ε = 1e-8) with ST fit()'s weight decay 0.01.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly decays: Map<string, boolean>;

  constructor(private readonly weights: NamedWeight[], options: AdamWOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    const noDecay = options.noDecay ?? noDecayBiasAndLayerNorm;
    this.decays = new Map(weights.map((w) => [w.name, !noDecay(w.name)]));
    for (const w of weights) {
      if (this.m.has(w.name)) throw new Error(`AdamW: two weights are named '${w.name}'`);
      const zeros = tf.zeros(w.variable.shape);
      this.m.set(w.name, tf.variable(zeros, false));
      this.v.set(w.name, tf.variable(zeros, false));
      zeros.dispose();
    }
  }

  get step(): number {
    return this.t;
  }

  /** Applies one update with gradients keyed by weight name (missing gradients: no update). */
  apply(grads: Map<string, tf.Tensor>): void {
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    for (const w of this.weights) {
      const g = grads.get(w.name);
      if (!g) continue;
      const m = this.m.get(w.name)!;
      const v = this.v.get(w.name)!;
      tf.tidy(() => {
        const decay = this.decays.get(w.name) && this.weightDecay > 0 ? 1 - this.lr * this.weightDecay : 1;
        m.assign(m.mul(this.beta1).add(g.mul(1 - this.beta1)));
        v.assign(v.mul(this.beta2).add(g.square().mul(1 - this.beta2)));
        const update = m.div(bc1).div(v.div(bc2).sqrt().add(this.eps)).mul(this.lr);
        w.variable.assign(w.variable.mul(decay).sub(update));
      });
    }
  }

  getState(): AdamWState {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [name, t] of this.m) m[name] = t.dataSync() as Float32Array;
    for (const [name, t] of this.v) v[name] = t.dataSync() as Float32Array;
    return { step: this.t, m, v };
  }

  setState(state: AdamWState): void {
    this.t = state.step;
    for (const [name, t] of this.m) {
      const mv = state.m[name];
      const vv = state.v[name];
      if (!mv || !vv || mv.length !== t.size || vv.length !== t.size) throw new Error(`optimizer state has no matching moments for '${name}'`);
      tf.tidy(() => {
        t.assign(tf.tensor(mv, t.shape));
        this.v.get(name)!.assign(tf.tensor(vv, t.shape));
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Scales gradients so that their global L2 norm is at most maxNorm (torch's clip_grad_norm_). Returns the norm before clipping. */
export function clipGradNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => g.square().sum()))).dataSync()[0]!);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const [name, g] of grads) {
      grads.set(name, g.mul(coef));
      g.dispose();
    }
  }
  return norm;
}
