import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf, type NamedWeight } from '@sbert/core';
import { AdamW } from './adamw.js';
import { repoRoot } from '../test-utils/paths.js';

interface Fixture {
  max_grad_norm: number;
  weight_decay: number;
  shapes: Record<string, number[]>;
  initial: Record<string, number[]>;
  steps: { lr: number; norm: number; grads: Record<string, number[]>; params: Record<string, number[]> }[];
}

/** A trainable variable holding `values` (the initial tensor is freed). */
function variable(values: number[], shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
}

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'tools/parity/fixtures/trainer/adamw.json'), 'utf8')) as Fixture;

describe('AdamW + clipping against torch.optim.AdamW + clip_grad_norm_', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('gives torch parameters after every step (changing lr, clipped and unclipped steps, zero rows)', () => {
    const before = tf.memory().numTensors;
    const weights: NamedWeight[] = Object.entries(fixture.shapes).map(([name, shape]) => ({ name, variable: variable(fixture.initial[name]!, shape) }));
    const opt = new AdamW(weights, { lr: fixture.steps[0]!.lr, weightDecay: fixture.weight_decay });
    const seen = new Map<string, Float32Array>();
    for (const step of fixture.steps) {
      opt.lr = step.lr;
      const grads = new Map(weights.map((w) => [w.name, tf.tensor(step.grads[w.name]!, w.variable.shape)]));
      const { gradNorm } = opt.apply(grads, { maxGradNorm: fixture.max_grad_norm, onUpdated: (name, values) => seen.set(name, values) });
      tf.dispose([...grads.values()]);
      expect(gradNorm).toBeCloseTo(step.norm, 4);
      for (const w of weights) {
        const got = Array.from(w.variable.dataSync());
        const want = step.params[w.name]!;
        got.forEach((x, i) => expect(Math.abs(x - want[i]!), `${w.name}[${i}] at lr ${step.lr}`).toBeLessThan(2e-6));
        expect(Array.from(seen.get(w.name)!)).toEqual(got);
      }
    }
    expect(opt.step).toBe(fixture.steps.length);
    tf.dispose(weights.map((w) => w.variable));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('restores its state: the same updates after getState / setState', () => {
    const make = (): NamedWeight[] => Object.entries(fixture.shapes).map(([name, shape]) => ({ name, variable: variable(fixture.initial[name]!, shape) }));
    const run = (opt: AdamW, weights: NamedWeight[], steps: Fixture['steps']): void => {
      for (const step of steps) {
        opt.lr = step.lr;
        const grads = new Map(weights.map((w) => [w.name, tf.tensor(step.grads[w.name]!, w.variable.shape)]));
        opt.apply(grads, { maxGradNorm: 1 });
        tf.dispose([...grads.values()]);
      }
    };
    const a = make();
    const optA = new AdamW(a, { lr: 0.05 });
    run(optA, a, fixture.steps);
    const b = make();
    const optB = new AdamW(b, { lr: 0.05 });
    run(optB, b, fixture.steps.slice(0, 2));
    const optC = new AdamW(b, { lr: 0.05 });
    optC.setState(optB.getState());
    run(optC, b, fixture.steps.slice(2));
    a.forEach((w, i) => expect(Array.from(b[i]!.variable.dataSync())).toEqual(Array.from(w.variable.dataSync())));
    expect(() => optC.setState({ step: 1, m: {}, v: {} })).toThrow(/no matching moments for 'layer.dense.weight'/);
    tf.dispose([...a, ...b].map((w) => w.variable));
  });

  it('rejects a gradient of the wrong size, naming the weight', () => {
    const w = { name: 'x.weight', variable: variable([0, 0, 0, 0], [2, 2]) };
    const opt = new AdamW([w], { lr: 0.1 });
    const g = tf.zeros([3]);
    expect(() => opt.apply(new Map([['x.weight', g]]))).toThrow(/gradient of 'x.weight' has 3 values, the weight 4/);
    tf.dispose([g, w.variable]);
  });
});
