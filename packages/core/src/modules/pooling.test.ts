import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { ConfigError } from '../errors.js';
import { Pooling, type PoolingOptions } from './pooling.js';

// Two sentences, T = 3, D = 2. The second has one padding position whose values must not count.
const tokens = [
  [[1, 2], [3, 4], [5, 6]],
  [[-1, 0], [2, -3], [100, 100]],
];
const mask = [[1, 1, 1], [1, 1, 0]];

function pool(modes: PoolingOptions): number[][] {
  const p = new Pooling(2, modes);
  const before = tf.memory().numTensors;
  const t = tf.tensor3d(tokens);
  const m = tf.tensor2d(mask, undefined, 'int32');
  const out = p.forward({ inputIds: m, attentionMask: m, tokenEmbeddings: t });
  const values = out.sentenceEmbedding!.arraySync();
  tf.dispose([t, m, out.sentenceEmbedding!]);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

describe('Pooling', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('computes each mode by hand', () => {
    expect(pool({ modes: 'mean' })).toEqual([[3, 4], [0.5, -1.5]]);
    expect(pool({ modes: 'cls' })).toEqual([[1, 2], [-1, 0]]);
    expect(pool({ modes: 'max' })).toEqual([[5, 6], [2, 0]]);
    const s = pool({ modes: 'mean_sqrt_len_tokens' });
    expect(s[0]![0]).toBeCloseTo(9 / Math.sqrt(3), 5);
    expect(s[1]![1]).toBeCloseTo(-3 / Math.sqrt(2), 5);
    // weights 1,2,3 (second: 1,2,0): (1·1+2·3+3·5)/6 = 22/6; (1·-1 + 2·2)/3 = 1
    const w = pool({ modes: 'weightedmean' });
    expect(w[0]![0]).toBeCloseTo(22 / 6, 5);
    expect(w[1]![0]).toBeCloseTo(1, 5);
    expect(pool({ modes: 'lasttoken' })).toEqual([[5, 6], [2, -3]]);
  });

  it('concatenates several modes in the order given (ST 6), booleans in the canonical order', () => {
    const p = new Pooling(2, { modes: ['mean', 'cls', 'max'] });
    expect(p.modes).toEqual(['mean', 'cls', 'max']);
    expect(p.outputDimension).toBe(6);
    expect(pool({ modes: ['mean', 'cls'] })).toEqual([[3, 4, 1, 2], [0.5, -1.5, -1, 0]]);
    expect(pool({ modes: ['cls', 'mean'] })).toEqual([[1, 2, 3, 4], [-1, 0, 0.5, -1.5]]);
    expect(Pooling.fromConfig({ word_embedding_dimension: 2, pooling_mode_mean_tokens: true, pooling_mode_cls_token: true }).modes).toEqual(['cls', 'mean']);
    expect(Pooling.fromConfig({ embedding_dimension: 2, pooling_mode: ['mean', 'max'] }).modes).toEqual(['mean', 'max']);
    expect(new Pooling(2, { modes: ['mean', 'max'] }).toConfig()).toEqual({ embedding_dimension: 2, pooling_mode: ['mean', 'max'], include_prompt: true });
  });

  it('reads configs with ST defaults for missing keys (mean on) and the pooling_mode string', () => {
    expect(Pooling.fromConfig({ word_embedding_dimension: 8 }).modes).toEqual(['mean']);
    expect(Pooling.fromConfig({ word_embedding_dimension: 8, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }).modes).toEqual(['cls']);
    expect(Pooling.fromConfig({ word_embedding_dimension: 8, pooling_mode: 'max', pooling_mode_mean_tokens: true }).modes).toEqual(['max']);
    expect(() => Pooling.fromConfig({ word_embedding_dimension: 8, pooling_mode: 'median' }, 'x/config.json')).toThrow(
      "x/config.json: pooling_mode 'median' is not one of cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken",
    );
    expect(() => Pooling.fromConfig({}, 'x/config.json')).toThrow(ConfigError);
  });

  it('writes every key of the ST config', () => {
    expect(new Pooling(4, { modes: ['cls', 'lasttoken'] }).toConfig()).toEqual({
      word_embedding_dimension: 4,
      pooling_mode_cls_token: true,
      pooling_mode_mean_tokens: false,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: true,
      include_prompt: true,
    });
  });
});
