import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceTransformer, communityDetection, paraphraseMiningEmbeddings, semanticSearch, similarity } from '@sbert/core';
import { COMMANDS, main } from './cli.js';
import { UsageError } from './errors.js';
import { captureContext, distBin, sentences, tempDir, tinyModel } from './test-utils/helpers.js';

const run = promisify(execFile);
const tmp = tempDir();
const at = (name: string): string => path.join(tmp.dir, name);
const base = ['--model', tinyModel, '--backend', 'wasm', '--quiet'];
let model: SentenceTransformer;

beforeAll(async () => {
  model = await SentenceTransformer.load(tinyModel, { backend: 'wasm' });
});
afterAll(() => {
  model.dispose();
  tmp.cleanup();
});

async function bin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [distBin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function output(args: string[]): Promise<string> {
  const ctx = captureContext();
  expect(await main(args, ctx)).toBe(0);
  return ctx.out();
}

describe('cli', () => {
  it('prints --help for the program and for every command, listing each option', async () => {
    const top = await output(['--help']);
    for (const name of Object.keys(COMMANDS)) expect(top).toContain(`  ${name} `);
    for (const [name, c] of Object.entries(COMMANDS)) {
      const help = await output([name, '--help']);
      expect(help.startsWith(`Usage: sbert-embedder ${name} `)).toBe(true);
      for (const option of Object.keys(c.spec.options)) expect(help, `${name} --${option}`).toContain(`--${option}`);
    }
  });

  it('reports usage errors that name the command and option', async () => {
    const ctx = captureContext();
    await expect(main(['frobnicate'], ctx)).rejects.toThrow(new UsageError("unknown command 'frobnicate'; expected one of embed, similarity, search, cluster, paraphrases, serve (see `sbert-embedder --help`)"));
    await expect(main(['embed', '--model', tinyModel, '-i', 'x.txt'], ctx)).rejects.toThrow('embed: --output is required (see `sbert-embedder embed --help`)');
    await expect(main(['embed', '--bogus'], ctx)).rejects.toThrow("embed: Unknown option '--bogus'");
    await expect(main(['search', ...base, '--corpus', 'c.txt', '--queries', 'q.txt', '--top-k', 'ten'], ctx)).rejects.toThrow("search: --top-k must be an integer >= 1, got 'ten'");
    await expect(main(['cluster', ...base, '-i', 'x.txt', '--backend', 'tpu'], ctx)).rejects.toThrow("cluster: --backend must be one of auto, node-gpu, node, wasm, cpu, onnx, got 'tpu'");
    await expect(main(['similarity', ...base, '--pairs', 'x.tsv', '--onnx-file', 'model_qint8.onnx'], ctx)).rejects.toThrow('--onnx-file needs --backend onnx');
  });

  it('bin: exit 0 on success, 2 on usage / data / config errors, 1 otherwise', async () => {
    expect((await bin(['--version'])).stdout).toBe('0.0.0\n');
    const usage = await bin(['embed']);
    expect([usage.code, usage.stderr]).toEqual([2, 'sbert-embedder: embed: --model is required (see `sbert-embedder embed --help`)\n']);
    writeFileSync(at('bad.txt'), Buffer.from([0x61, 0x0a, 0xc3, 0x28, 0x0a]));
    const data = await bin(['embed', ...base, '-i', at('bad.txt'), '-o', at('bad.npy')]);
    expect([data.code, data.stderr]).toEqual([2, `sbert-embedder: ${at('bad.txt')}:2: invalid UTF-8 at byte 0 of the line\n`]);
    writeFileSync(at('ok.txt'), 'hello\n');
    const config = await bin(['embed', ...base.map((a) => (a === tinyModel ? at('no-model') : a)), '-i', at('ok.txt'), '-o', at('x.npy')]);
    expect([config.code, config.stderr]).toEqual([2, `sbert-embedder: ${at('no-model')}: model directory not found\n`]);
    // A model whose weights file is cut short: a checkpoint error, not the user's input.
    cpSync(tinyModel, at('broken-model'), { recursive: true });
    const weights = at('broken-model/model.safetensors');
    writeFileSync(weights, readFileSync(weights).subarray(0, 1000));
    const broken = await bin(['embed', ...base.map((a) => (a === tinyModel ? at('broken-model') : a)), '-i', at('ok.txt'), '-o', at('x.npy')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^sbert-embedder: .*model\.safetensors/);
  });

  it('similarity: one score per pair, equal to the model similarity of the pair', async () => {
    const a = sentences(40, 11);
    const b = sentences(40, 12);
    writeFileSync(at('pairs.tsv'), `sentence1\tsentence2\tscore\n${a.map((x, i) => `${x}\t${b[i]}\t1`).join('\n')}\n`);
    const scores = (await output(['similarity', ...base, '--pairs', at('pairs.tsv'), '--chunk-size', '16'])).trim().split('\n').map(Number);
    expect(scores).toHaveLength(40);
    const ea = await model.encode(a);
    const eb = await model.encode(b);
    scores.forEach((s, i) => expect(s).toBeCloseTo(similarity([ea[i]!], [eb[i]!], 'cosine')[0]![0]!, 5));
    writeFileSync(at('pairs.jsonl'), a.map((x, i) => JSON.stringify({ q: x, d: b[i] })).join('\n'));
    await output(['similarity', ...base, '--pairs', at('pairs.jsonl'), '--fields', 'q,d', '--similarity-fn', 'dot', '-o', at('scores.jsonl')]);
    const rows = readFileSync(at('scores.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; line: number; score: number });
    expect(rows.map((r) => [r.index, r.line])).toEqual(a.map((_, i) => [i, i + 1]));
    rows.forEach((r, i) => expect(r.score).toBeCloseTo(similarity([ea[i]!], [eb[i]!], 'dot')[0]![0]!, 4));
  });

  it('--backend onnx: the same scores through onnxruntime, and a missing --onnx-file is named', async () => {
    const a = sentences(24, 21);
    const b = sentences(24, 22);
    writeFileSync(at('pairs-onnx.tsv'), `sentence1\tsentence2\tscore\n${a.map((x, i) => `${x}\t${b[i]}\t1`).join('\n')}\n`);
    const onnxBase = base.map((x) => (x === 'wasm' ? 'onnx' : x));
    const scores = (await output(['similarity', ...onnxBase, '--pairs', at('pairs-onnx.tsv')])).trim().split('\n').map(Number);
    const ea = await model.encode(a);
    const eb = await model.encode(b);
    expect(scores).toHaveLength(24);
    scores.forEach((s, i) => expect(Math.abs(s - similarity([ea[i]!], [eb[i]!], 'cosine')[0]![0]!)).toBeLessThan(1e-5));
    const ctx = captureContext();
    await expect(main(['similarity', ...onnxBase, '--pairs', at('pairs-onnx.tsv'), '--onnx-file', 'nope.onnx'], ctx)).rejects.toThrow('nope.onnx');
  });

  it('search: top-k corpus hits per query, as semanticSearch over the model embeddings', async () => {
    const corpus = sentences(120, 21);
    const queries = sentences(9, 22);
    writeFileSync(at('corpus.txt'), corpus.join('\n'));
    writeFileSync(at('queries.txt'), queries.join('\n'));
    const lines = (await output(['search', ...base, '--corpus', at('corpus.txt'), '--queries', at('queries.txt'), '-k', '5', '--chunk-size', '50']))
      .trim().split('\n').map((l) => JSON.parse(l) as { query_index: number; query: string; hits: { corpus_id: number; score: number; text: string }[] });
    const expected = semanticSearch(await model.encode(queries), await model.encode(corpus), { topK: 5 });
    expect(lines.map((l) => l.query)).toEqual(queries);
    lines.forEach((l, q) => {
      expect(l.hits.map((h) => h.corpus_id)).toEqual(expected[q]!.map((h) => h.corpusId));
      l.hits.forEach((h, k) => {
        expect(h.score).toBeCloseTo(expected[q]![k]!.score, 5);
        expect(h.text).toBe(corpus[h.corpus_id]);
      });
    });
  });

  it('cluster and paraphrases: the core algorithms over the model embeddings, with texts', async () => {
    // Three groups of near-duplicates among unrelated sentences.
    const texts = [...sentences(30, 31), ...['a man eats food', 'a man eats food .', 'the man eats food', 'a man eats the food'], ...['red car on the street', 'a red car on the street', 'red car in the street'], ...['guitar music plays', 'guitar music plays loud', 'the guitar music plays']];
    writeFileSync(at('texts.jsonl'), texts.map((t) => JSON.stringify({ text: t })).join('\n'));
    const emb = await model.encode(texts);
    const communities = (await output(['cluster', ...base, '-i', at('texts.jsonl'), '--threshold', '0.9', '--min-community-size', '3']))
      .trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { community: number; size: number; centre: number; members: number[]; texts: string[] });
    const expected = communityDetection(emb, { threshold: 0.9, minCommunitySize: 3 });
    expect(expected.length).toBeGreaterThan(0);
    expect(communities.map((c) => c.members)).toEqual(expected);
    communities.forEach((c, k) => {
      expect([c.community, c.size, c.centre]).toEqual([k, c.members.length, c.members[0]]);
      expect(c.texts).toEqual(c.members.map((i) => texts[i]));
    });
    const pairs = (await output(['paraphrases', ...base, '-i', at('texts.jsonl'), '--top-k', '3', '--max-pairs', '20']))
      .trim().split('\n').map((l) => JSON.parse(l) as { score: number; i: number; j: number; text_i: string; text_j: string });
    const expectedPairs = paraphraseMiningEmbeddings(emb, { topK: 3, maxPairs: 20 });
    expect(pairs.map((p) => [p.i, p.j])).toEqual(expectedPairs.map(([, i, j]) => [i, j]));
    pairs.forEach((p, k) => {
      expect(p.score).toBeCloseTo(expectedPairs[k]![0], 6);
      expect([p.text_i, p.text_j]).toEqual([texts[p.i], texts[p.j]]);
    });
  });
});
