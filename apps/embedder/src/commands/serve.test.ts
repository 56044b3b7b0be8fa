import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SentenceTransformer } from '@sbert/core';
import { captureContext, distBin, sentences, tempDir, tinyModel } from '../test-utils/helpers.js';
import { startServe } from './serve.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('serve', () => {
  it('starts from command-line options with a .tsv corpus and serves /v1/search', async () => {
    const corpusFile = path.join(tmp.dir, 'corpus.tsv');
    writeFileSync(corpusFile, `id\tpassage\n1\tthe red car\n2\ta guitar plays\n3\tthe cat sleeps\n`);
    const ctx = captureContext();
    const handle = await startServe(['--model', tinyModel, '--backend', 'wasm', '--port', '0', '--corpus', corpusFile, '--field', 'passage', '--model-name', 'm', '--body-limit', '1k', '--quiet'], ctx, false);
    try {
      expect(ctx.out()).toBe(`listening on ${handle!.url}\n`);
      const res = await fetch(`${handle!.url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a red car', top_k: 3 }) });
      const json = (await res.json()) as { data: { hits: { text: string }[] }[] };
      expect(json.data[0]!.hits.map((h: { text: string }) => h.text).sort()).toEqual(['a guitar plays', 'the cat sleeps', 'the red car']);
      const big = await fetch(`${handle!.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: 'x'.repeat(2000) }) });
      expect(big.status).toBe(413);
    } finally {
      await handle!.shutdown();
    }
    await expect(startServe(['--model', tinyModel, '--port', '70000'], ctx, false)).rejects.toThrow("serve: --port must be an integer in 0..65535, got '70000'");
    await expect(startServe(['--model', tinyModel, '--body-limit', 'lots'], ctx, false)).rejects.toThrow("serve: --body-limit must be a byte count like 1048576, 512k or 4m, got 'lots'");
  });

  for (const workers of ['0', '1']) {
    it(`--backend onnx (--workers ${workers}): /v1/embeddings through onnxruntime equal the TF.js model's`, async () => {
      const ctx = captureContext();
      const handle = await startServe(['--model', tinyModel, '--backend', 'onnx', '--workers', workers, '--port', '0', '--quiet'], ctx, false);
      const texts = sentences(5, 31);
      try {
        const res = await fetch(`${handle!.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: texts }) });
        const json = (await res.json()) as { data: { embedding: number[] }[] };
        const model = await SentenceTransformer.load(tinyModel, { backend: 'wasm' });
        const expected = await model.encode(texts);
        model.dispose();
        json.data.forEach((d, i) => d.embedding.forEach((v, k) => expect(Math.abs(v - expected[i]![k]!)).toBeLessThan(1e-5)));
        const health = (await (await fetch(`${handle!.url}/health`)).json()) as { backend?: string };
        expect(JSON.stringify(health)).toContain('onnx');
      } finally {
        await handle!.shutdown();
      }
    });
  }

  it('SIGTERM: finishes the request in flight, refuses new connections, exits 0', async () => {
    const child = spawn(process.execPath, [distBin, 'serve', '--model', tinyModel, '--backend', 'wasm', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`server exited early: ${stderr}`)));
    });
    // Enough texts that the request is still running when the signal arrives.
    const inFlight = fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: sentences(1500, 71) }) });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1500);
    expect(await exited).toBe(0);
    expect(stderr).toContain('serve: shutting down; finishing requests in flight');
    expect(stderr).toContain('serve: stopped');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
