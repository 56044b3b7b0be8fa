import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import { NliTripletReader } from './nli-triplet-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('NliTripletReader on the CNSD-SNLI triplets', () => {
  it.each([
    ['nli/cnsd-snli-triplets/dev.txt', 2699, '在白云的蓝天下，一个孩子伸手摸着停在草地上的一架飞机的螺旋桨。', ['一个穿着蓝色和粉红色丝带的年轻女孩，没有上衣，还有一个穿着白色T恤和斑马裙的女人，她在公共饮水机里涉水。', '饮水机里的人', '一个年轻女孩织了一件毛衣']],
    ['nli/cnsd-snli-triplets/test.txt', 2618, '一个穿着灰色和白色条纹毛衣和棕色裤子的小男孩正在操场上玩。', ['穿蓝色的啦啦队员在黄色足球门柱下的足球场上表演。', '一群人在户外跳舞。', '旧金山49人啦啦队长在黑暗的地下室表演。']],
  ])('%s: %i triplets, detected as JSON Lines despite .txt', async (file, count, firstAnchor, last) => {
    const records = await new NliTripletReader(data(file)).toArray();
    expect(records).toHaveLength(count);
    expect(records[count - 1]).toEqual({ texts: last });
    expect(records[0]!.texts[0]).toBe(firstAnchor);
  });

  it('reads a three-column TSV too', async () => {
    const file = tmp.write('triplets.tsv', 'a\tb\tc\nd\te\n');
    await expect(new NliTripletReader(file).toArray()).rejects.toThrow(`${file}:2: expected 3 tab-separated columns (origin, entailment, contradiction), got 2`);
  });
});
