import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV, backendInfo, initBackend } from './backend.js';
import { ConfigError } from './errors.js';
import { maxAbsDiff } from './test-utils/paths.js';

/** Runs `fn` on a backend and returns plain arrays, leaking nothing. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend({ backend });
  const before = tf.memory().numTensors;
  const outs = tf.tidy(fn);
  const values = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(outs);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe('initBackend', () => {
  afterAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('chooses wasm when tfjs-node is not installed, and says why the native backends were skipped', async () => {
    const info = await initBackend({ backend: 'auto' });
    expect(info.choice).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.fixes).toEqual(['unsorted-segment-sum', 'matmul-transpose', 'batched-matmul', 'sum-leading-axes', 'identity-no-copy', 'gather-rows']);
    expect(info.skipped).toEqual(['@tensorflow/tfjs-node-gpu is not installed', '@tensorflow/tfjs-node is not installed']);
    expect(backendInfo()).toEqual(info);
  });

  it('honours the option and the environment variable, option first', async () => {
    const saved = process.env[BACKEND_ENV];
    try {
      process.env[BACKEND_ENV] = 'cpu';
      expect((await initBackend()).choice).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
      expect((await initBackend({ backend: 'wasm' })).choice).toBe('wasm');
      process.env[BACKEND_ENV] = 'tpu';
      await expect(initBackend()).rejects.toThrow(/environment variable SBERT_BACKEND is 'tpu'; expected one of auto, node-gpu, node, wasm, cpu/);
    } finally {
      if (saved === undefined) delete process.env[BACKEND_ENV];
      else process.env[BACKEND_ENV] = saved;
    }
  });

  it('fails clearly when a forced backend cannot run', async () => {
    const error = await initBackend({ backend: 'node' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe("backend 'node' was requested but cannot run: @tensorflow/tfjs-node is not installed");
  });
});

describe('wasm kernel fixes give the cpu backend numbers', () => {
  it('gradient of the embedding lookup (UnsortedSegmentSum via ScatterNd), with repeated ids', async () => {
    const run = (): tf.Tensor[] => {
      const table = rand([50, 8], 1);
      const ids = tf.tensor1d([3, 7, 3, 49, 0, 7, 7], 'int32');
      const upstream = rand([7, 8], 2);
      const g = tf.grad((t: tf.Tensor) => tf.gather(t, ids).mul(upstream).sum())(table);
      return [g];
    };
    const [cpu] = await on('cpu', run);
    const [wasm] = await on('wasm', run);
    expect(maxAbsDiff(cpu!, wasm!)).toBeLessThan(1e-6);
    // Row 7 is hit three times: its gradient is the sum of three upstream rows.
    expect(Math.abs(cpu![7 * 8]!)).toBeGreaterThan(0);
  });

  it('matMul with transposed operands, forward and gradients', async () => {
    const run = (): tf.Tensor[] => {
      const a = rand([17, 33], 3);
      const b = rand([29, 33], 4);
      const c = rand([17, 29], 5);
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, true).mul(c).sum();
      const [ga, gb] = tf.grads(f)([a, b]);
      return [tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D, true, false).reshape([-1]), ga!, gb!];
    };
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    cpu.forEach((values, i) => expect(maxAbsDiff(values, wasm[i]!)).toBeLessThan(1e-4));
  });

  it('sum over the leading axes (bias gradients), with and without keepDims; other sums unchanged', async () => {
    const run = (): tf.Tensor[] => {
      const x = rand([70, 3, 5], 8);
      const w = rand([5], 9);
      const [gw] = tf.grads((v: tf.Tensor) => x.add(v).square().sum())([w]);
      return [x.sum([0, 1]), x.sum([1, 0], true), x.sum(-1), x.sum(0), rand([80, 6], 10).sum(0), gw!];
    };
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    const shapes = await on('wasm', () => [rand([70, 3, 5], 8).sum([0, 1], true).reshape([-1])]);
    expect(shapes[0]).toHaveLength(5);
    cpu.forEach((values, i) => expect(maxAbsDiff(values, wasm[i]!), `result ${i}`).toBeLessThan(1e-3));
  });

  it('batched matMul (attention shapes), forward and gradients', async () => {
    const run = (): tf.Tensor[] => {
      const q = rand([3, 4, 9, 8], 6);
      const k = rand([3, 4, 8, 9], 7);
      const [gq, gk] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor4D, y as tf.Tensor4D).square().sum())([q, k]);
      return [tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D), gq!, gk!];
    };
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    cpu.forEach((values, i) => expect(maxAbsDiff(values, wasm[i]!)).toBeLessThan(1e-3));
  });
});

describe('wasm row gather', () => {
  it('gathers rows of float32 and int32 tensors as the cpu backend does (any index shape, repeats, negative axis), with gradients', async () => {
    const run = (): tf.Tensor[] => {
      const x = rand([6, 3, 2], 11);
      const ids = tf.tensor2d([[5, 0, 5], [2, 2, 1]], [2, 3], 'int32');
      const ints = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32');
      const [gx] = tf.grads((t: tf.Tensor) => tf.gather(t, tf.tensor1d([4, 4, 1], 'int32')).square().sum())([x]);
      return [tf.gather(x, ids), tf.gather(ints, tf.tensor1d([2, 0, 2], 'int32')).cast('float32'), tf.gather(x, tf.tensor1d([1, 0], 'int32'), -1), gx!];
    };
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(wasm[1]).toEqual(new Float32Array([5, 6, 1, 2, 5, 6]));
    cpu.forEach((values, i) => expect(maxAbsDiff(values, wasm[i]!), `result ${i}`).toBeLessThan(1e-6));
  });

  it('rejects an index outside the rows (wasm gather reads garbage there otherwise), naming it', async () => {
    await initBackend({ backend: 'wasm' });
    const before = tf.memory().numTensors;
    const x = tf.zeros([4, 2]);
    const ids = tf.tensor1d([0, 4], 'int32');
    expect(() => tf.gather(x, ids)).toThrow(/index 4 at position 1 is not in \[0, 3\]/);
    tf.dispose([x, ids]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
