import { describe, expect, it } from 'vitest';
import { data } from '../test-utils/fixtures.js';
import { NliReader } from './nli-reader.js';
import { nliTripletsFromPairs } from './nli-triplets-from-pairs.js';

describe('nliTripletsFromPairs', () => {
  it('builds deterministic (anchor, entailment, contradiction) triplets from the pairs', async () => {
    const pairs = await new NliReader(data('nli/ocnli/dev.json')).toArray();
    const triplets = nliTripletsFromPairs(pairs);
    // Count and ends computed independently in Python over dev.json with the same rule.
    expect(triplets).toHaveLength(196);
    expect(triplets[0]).toEqual({ texts: ['政策的稳定,来自班子的稳定,班子的稳定,又来自班子的团结', '班子的稳定影响政策的问题', '政策的稳定无法影响班子的团结'] });
    expect(triplets[195]).toEqual({
      texts: ['特古西加尔巴消息:洪都拉斯新总统拉斐尔·莱昂纳多·卡列哈斯27日宣誓就职', '27日是洪都拉斯的重大日子', "拉斐尔·莱昂纳多·卡列哈斯27日宣誓li'zhi"],
    });
  });

  it('rejects pairs without a numeric label', () => {
    expect(() => nliTripletsFromPairs([{ texts: ['p', 'h'] }])).toThrow('pair 0 must have 2 texts and a numeric label');
  });
});
