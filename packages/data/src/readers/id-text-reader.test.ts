import { afterAll, describe, expect, it } from 'vitest';
import { data, tempDir } from '../test-utils/fixtures.js';
import { IdTextReader, loadIdTextMap } from './id-text-reader.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('id<TAB>text files (collection, queries, topics)', () => {
  it('collection subset: 89 passages with ids 0–99 minus 41–44, 60–63, 79–81', async () => {
    const corpus = await loadIdTextMap(data('msmarco/collection.pid0-99.subset.tsv'));
    const absent = [41, 42, 43, 44, 60, 61, 62, 63, 79, 80, 81];
    expect([...corpus.keys()]).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => !absent.includes(i)).map(String));
    expect(corpus.get('1')).toBe(
      'The Manhattan Project and its atomic bomb helped bring an end to World War II. Its legacy of peaceful uses of atomic energy continues to have an impact on history and science.',
    );
  });

  it('dev-subset topics: 6,980 queries, a leading space kept', async () => {
    const reader = new IdTextReader(data('msmarco/topics.msmarco-passage.dev-subset.txt'));
    const rows = await reader.toArray();
    expect(rows).toHaveLength(6980);
    expect(rows[0]).toEqual({ id: '1048585', text: "what is paula deen's brother", line: 1 });
    expect(rows[1]).toEqual({ id: '2', text: ' Androgen receptor define', line: 2 });
    expect(rows[6979]).toEqual({ id: '1048565', text: 'who plays sebastian michaelis', line: 6980 });
  });

  it('DL20 topics (CRLF): 200 queries without a trailing CR', async () => {
    const rows = await new IdTextReader(data('msmarco/topics.dl20.txt')).toArray();
    expect(rows).toHaveLength(200);
    expect(rows[0]).toMatchObject({ id: '1030303', text: 'who is aziz hashim' });
    expect(rows[199]).toMatchObject({ id: '132622', text: 'definition of attempted arson' });
  });

  it('reports duplicate ids when asked', async () => {
    const file = tmp.write('dup.tsv', '1\ta\n2\tb\n1\tc\n');
    await expect(loadIdTextMap(file)).rejects.toThrow(`${file}:3: duplicate id "1"`);
  });
});
