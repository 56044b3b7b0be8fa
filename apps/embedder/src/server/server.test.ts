import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceTransformer, semanticSearch, similarity, tf } from '@sbert/core';
import { maxAbsDiff, sentences, tinyModel } from '../test-utils/helpers.js';
import { buildServer, type EmbedderServer } from './server.js';
import { encodeYielding, workerEncoder } from './server-encoder.js';

let model: SentenceTransformer;
let server: EmbedderServer;
let base: string;
const corpus = sentences(60, 41);

beforeAll(async () => {
  model = await SentenceTransformer.load(tinyModel, { backend: 'wasm' });
  server = await buildServer({ model, modelName: 'tiny', corpus, limits: { maxInputs: 16, maxTextLength: 200, bodyLimit: 64 * 1024, batchWaitMs: 5 } });
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  model.dispose();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

function error(message: string | RegExp, code: string | null, param: string | null = null, type = 'invalid_request_error'): unknown {
  return { error: { message: typeof message === 'string' ? message : expect.stringMatching(message), type, param, code } };
}

async function expectHealthy(): Promise<void> {
  const res = await fetch(`${base}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', model: 'tiny', dimension: 32, max_seq_length: 32, backend: 'wasm', workers: 0, corpus_size: 60 });
}

describe('server', () => {
  it('GET /health and /v1/models', async () => {
    await expectHealthy();
    expect(await (await fetch(`${base}/v1/models`)).json()).toEqual({ object: 'list', data: [{ id: 'tiny', object: 'model', created: 0, owned_by: 'sbert' }] });
  });

  it('POST /v1/embeddings: OpenAI response shape, embeddings of the model, usage token counts', async () => {
    const texts = ['A man is eating food.', 'hello world'];
    const { status, json } = await post('/v1/embeddings', { input: texts, model: 'whatever' });
    expect(status).toBe(200);
    const tokens = texts.reduce((s, t) => s + model.tokenizer.countTokens(t), 0);
    expect(json).toMatchObject({ object: 'list', model: 'tiny', usage: { prompt_tokens: tokens, total_tokens: tokens } });
    // [CLS] + word pieces + [SEP]: at least 3 per text, all counted.
    expect(tokens).toBeGreaterThanOrEqual(6);
    expect(json.data.map((d: { object: string; index: number }) => [d.object, d.index])).toEqual([['embedding', 0], ['embedding', 1]]);
    const expected = await model.encode(texts);
    json.data.forEach((d: { embedding: number[] }, i: number) => expect(maxAbsDiff(d.embedding, expected[i]!)).toBeLessThan(1e-5));
    // A single string; dimensions truncates (ST truncate_dim); base64 is the float32 bytes.
    const one = await post('/v1/embeddings', { input: 'hello world', dimensions: 8, encoding_format: 'base64' });
    const bytes = Buffer.from(one.json.data[0].embedding, 'base64');
    const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(decoded).toHaveLength(8);
    expect(maxAbsDiff(decoded, expected[1]!.subarray(0, 8))).toBeLessThan(1e-5);
  });

  it('speaks to the official openai client (float, base64, and its default base64 decoding)', async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'x', maxRetries: 0 });
    const input = ['The cat sits outside', 'A man is playing guitar'];
    const float = await client.embeddings.create({ model: 'tiny', input, encoding_format: 'float' });
    expect(float.model).toBe('tiny');
    expect(float.data).toHaveLength(2);
    expect(float.usage.prompt_tokens).toBe(input.reduce((s, t) => s + model.tokenizer.countTokens(t), 0));
    const expected = await model.encode(input);
    float.data.forEach((d, i) => expect(maxAbsDiff(d.embedding, expected[i]!)).toBeLessThan(1e-5));
    // The client asks for base64 by default and decodes it: the same numbers as 'float'.
    const implicit = await client.embeddings.create({ model: 'tiny', input });
    implicit.data.forEach((d, i) => expect(Array.from(d.embedding)).toEqual(float.data[i]!.embedding));
    const explicit = await client.embeddings.create({ model: 'tiny', input: input[0]!, encoding_format: 'base64', dimensions: 4 });
    const b = Buffer.from(explicit.data[0]!.embedding as unknown as string, 'base64');
    expect(Array.from(new Float32Array(b.buffer, b.byteOffset, 4))).toEqual(float.data[0]!.embedding.slice(0, 4));
    // Errors come back as the client's typed errors, with our status and body.
    const err = await client.embeddings.create({ model: 'tiny', input: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input');
  });

  it('micro-batches concurrent requests and returns each its own embeddings', async () => {
    const texts = sentences(24, 51);
    const batchesBefore = Number(/sbert_batch_size_texts_count (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())![1]);
    const responses = await Promise.all(texts.map((t) => post('/v1/embeddings', { input: [t] })));
    const expected = await model.encode(texts);
    responses.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(maxAbsDiff(r.json.data[0].embedding, expected[i]!)).toBeLessThan(1e-5);
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const batches = Number(/sbert_batch_size_texts_count (\d+)/.exec(metrics)![1]) - batchesBefore;
    // 24 concurrent requests shared fewer model calls than requests.
    expect(batches).toBeLessThan(24);
  });

  it('POST /v1/similarity: matrix and pairwise scores', async () => {
    const a = ['a man eats food', 'the cat sleeps'];
    const b = ['someone eats', 'a cat naps', 'stocks fell'];
    const ea = await model.encode(a);
    const eb = await model.encode(b);
    const matrix = await post('/v1/similarity', { a, b });
    expect(matrix.status).toBe(200);
    expect(matrix.json).toMatchObject({ object: 'similarity', model: 'tiny', similarity_fn: 'cosine', pairwise: false });
    const expected = similarity(ea, eb, 'cosine');
    expect(maxAbsDiff(matrix.json.scores.flat(), expected.flat())).toBeLessThan(1e-5);
    const pair = await post('/v1/similarity', { a, b: b.slice(0, 2), pairwise: true, similarity_fn: 'dot' });
    expect(pair.json.similarity_fn).toBe('dot');
    expect(maxAbsDiff(pair.json.scores, [similarity([ea[0]!], [eb[0]!], 'dot')[0]![0]!, similarity([ea[1]!], [eb[1]!], 'dot')[0]![0]!])).toBeLessThan(1e-4);
    expect(await post('/v1/similarity', { a, b, pairwise: true })).toEqual({ status: 400, json: error("pairwise similarity needs as many 'b' texts as 'a' texts, got 2 and 3", 'invalid_value', 'b') });
  });

  it('POST /v1/search: top-k over the corpus embedded at start-up', async () => {
    const queries = ['a red car', 'music on the guitar'];
    const { status, json } = await post('/v1/search', { query: queries, top_k: 3 });
    expect(status).toBe(200);
    const expected = semanticSearch(await model.encode(queries), await model.encode(corpus), { topK: 3 });
    json.data.forEach((d: { index: number; query: string; hits: { corpus_id: number; score: number; text: string }[] }, q: number) => {
      expect([d.index, d.query]).toEqual([q, queries[q]]);
      expect(d.hits.map((h) => h.corpus_id)).toEqual(expected[q]!.map((h) => h.corpusId));
      d.hits.forEach((h, k) => {
        expect(h.score).toBeCloseTo(expected[q]![k]!.score, 5);
        expect(h.text).toBe(corpus[h.corpus_id]);
      });
    });
    expect(await post('/v1/search', { query: 'x', top_k: 0 })).toEqual({ status: 400, json: error("'top_k' must be an integer in 1..1000, got 0", 'invalid_value', 'top_k') });
  });

  it('answers malformed, mistyped, oversized and empty requests with the right 4xx and stays healthy', async () => {
    const cases: [string, () => Promise<{ status: number; json: unknown }>, number, unknown][] = [
      ['malformed JSON', () => post('/v1/embeddings', '{"input": ["a", '), 400, error(/^the request body is not valid JSON: /, 'invalid_json')],
      ['invalid UTF-8', () => post('/v1/embeddings', Buffer.concat([Buffer.from('{"input": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])), 400, error('the request body is not valid UTF-8', 'invalid_utf8')],
      ['empty body', () => post('/v1/embeddings', ''), 400, error('the request body is empty; expected a JSON object', 'invalid_body')],
      ['JSON array body', () => post('/v1/embeddings', [1, 2]), 400, error('the request body must be a JSON object, got an array', 'invalid_body')],
      ['missing input', () => post('/v1/embeddings', { model: 'tiny' }), 400, error("'input' is required", 'missing_required_parameter', 'input')],
      ['number input', () => post('/v1/embeddings', { input: 42 }), 400, error("'input' must be a string or an array of strings, got a number", 'invalid_type', 'input')],
      ['object input', () => post('/v1/embeddings', { input: { text: 'a' } }), 400, error("'input' must be a string or an array of strings, got a object", 'invalid_type', 'input')],
      ['token ids', () => post('/v1/embeddings', { input: [101, 2023] }), 400, error("'input[0]' is a token array; this server takes text only", 'invalid_type', 'input[0]')],
      ['null item', () => post('/v1/embeddings', { input: ['ok', null] }), 400, error("'input[1]' must be a string, got null", 'invalid_type', 'input[1]')],
      ['empty string', () => post('/v1/embeddings', { input: '' }), 400, error("'input' must not be an empty string", 'empty_input', 'input')],
      ['empty item', () => post('/v1/embeddings', { input: ['a', ''] }), 400, error("'input[1]' must not be an empty string", 'empty_input', 'input[1]')],
      ['empty array', () => post('/v1/embeddings', { input: [] }), 400, error("'input' must not be an empty array", 'empty_input', 'input')],
      ['too many inputs', () => post('/v1/embeddings', { input: Array(17).fill('a') }), 400, error("'input' has 17 items; at most 16 are allowed per request", 'too_many_inputs', 'input')],
      ['text too long', () => post('/v1/embeddings', { input: ['a', 'b'.repeat(201)] }), 400, error("'input[1]' has 201 characters; at most 200 are allowed", 'text_too_long', 'input[1]')],
      ['bad encoding_format', () => post('/v1/embeddings', { input: 'a', encoding_format: 'hex' }), 400, error(`'encoding_format' must be one of 'float', 'base64', got "hex"`, 'invalid_value', 'encoding_format')],
      ['dimensions too large', () => post('/v1/embeddings', { input: 'a', dimensions: 33 }), 400, error("'dimensions' must be an integer in 1..32, got 33", 'invalid_value', 'dimensions')],
      ['dimensions as string', () => post('/v1/embeddings', { input: 'a', dimensions: '8' }), 400, error(`'dimensions' must be an integer in 1..32, got "8"`, 'invalid_value', 'dimensions')],
      ['model not a string', () => post('/v1/embeddings', { input: 'a', model: 7 }), 400, error("'model' must be a string, got a number", 'invalid_type', 'model')],
      ['huge body (10 MB)', () => post('/v1/embeddings', JSON.stringify({ input: 'x'.repeat(10 * 1024 * 1024) })), 413, error('the request body is larger than the limit of 65536 bytes', 'body_too_large')],
      ['text/plain', () => post('/v1/embeddings', 'hello', { 'content-type': 'text/plain' }), 415, error("unsupported content type; send 'application/json'", 'unsupported_media_type')],
      ['bad similarity_fn', () => post('/v1/similarity', { a: 'x', b: 'y', similarity_fn: 'jaccard' }), 400, error(`'similarity_fn' must be one of 'cosine', 'dot', 'euclidean', 'manhattan', got "jaccard"`, 'invalid_value', 'similarity_fn')],
      ['unknown route', () => post('/v1/completions', { prompt: 'x' }), 404, error('no route POST /v1/completions', 'not_found', null, 'not_found_error')],
    ];
    for (const [name, send, status, body] of cases) {
      const res = await send();
      expect(res.status, name).toBe(status);
      expect(res.json, name).toEqual(body);
    }
    // Far beyond the limit (more than 16 MiB): not read at all, the connection is cut after the
    // 413 (a client still sending may only see the reset). The server carries on.
    const huge = await post('/v1/embeddings', JSON.stringify({ input: 'x'.repeat(24 * 1024 * 1024) })).catch((e: unknown) => e);
    if (!(huge instanceof Error)) expect(huge).toEqual({ status: 413, json: error('the request body is larger than the limit of 65536 bytes', 'body_too_large') });
    const get = await fetch(`${base}/v1/embeddings`);
    expect(get.status).toBe(404);
    await expectHealthy();
  });

  it('a body that lies about its length or stops early does not hurt the server', async () => {
    // Content-Length larger than what is sent, then the client hangs up.
    await new Promise<void>((resolve) => {
      const url = new URL(base);
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/v1/embeddings', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"input": "abc');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await expectHealthy();
  });

  it('GET /metrics: Prometheus text with requests, errors by status, latency, batch sizes and RSS', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toMatch(/^sbert_http_requests_total\{route="\/v1\/embeddings",method="POST",status="200"\} \d+$/m);
    expect(text).toMatch(/^sbert_http_requests_total\{route="\/v1\/embeddings",method="POST",status="413"\} [12]$/m);
    expect(text).toMatch(/^sbert_http_requests_total\{route="unmatched",method="POST",status="404"\} 1$/m);
    expect(text).toMatch(/^sbert_http_request_duration_seconds_bucket\{route="\/v1\/embeddings",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^sbert_batch_size_texts_bucket\{le="64"\} \d+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^sbert_corpus_size 60$/m);
    // Every sample line is `name{labels} value`, with HELP and TYPE for each family.
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[^}]*\})? -?[\d.e+-]+)$/);
  });

  it('encodeYielding gives exactly the rows of one encode call', async () => {
    const texts = sentences(150, 81, 20);
    const expected = await model.encode(texts, { batchSize: 16 });
    const got = await encodeYielding(model, texts, 16);
    got.forEach((row, i) => expect(Array.from(row)).toEqual(Array.from(expected[i]!)));
  });

  it('leaks no tensors across requests', async () => {
    await post('/v1/embeddings', { input: ['warm up'] });
    const before = tf.memory().numTensors;
    await Promise.all([
      post('/v1/embeddings', { input: ['a', 'b c'], dimensions: 5 }),
      post('/v1/similarity', { a: ['x'], b: ['y', 'z'] }),
      post('/v1/similarity', { a: ['x', 'q'], b: ['y', 'z'], pairwise: true }),
      post('/v1/search', { query: 'x' }),
      post('/v1/embeddings', '{bad json'),
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('server without a corpus, normalising, shutting down', () => {
  it('404s /v1/search, normalises after truncating, and finishes in-flight requests on close', async () => {
    const s = await buildServer({ model, modelName: 'n', normalize: true, limits: { batchWaitMs: 1 } });
    const url = await s.app.listen({ host: '127.0.0.1', port: 0 });
    const search = await fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "x"}' });
    expect([search.status, await search.json()]).toEqual([404, error('no search corpus is loaded; start the server with --corpus FILE', 'no_corpus', null, 'not_found_error')]);
    const r = (await (await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input": "hello there", "dimensions": 6}' })).json()) as { data: { embedding: number[] }[] };
    expect(Math.hypot(...r.data[0]!.embedding)).toBeCloseTo(1, 6);
    expect(r.data[0]!.embedding).toHaveLength(6);
    // A request with many texts is in flight when close() is called: it still completes.
    const inFlight = fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: sentences(400, 61) }) });
    for (let i = 0; i < 200 && s.metrics.inflight === 0; i++) await new Promise((res) => setTimeout(res, 5));
    expect(s.metrics.inflight).toBe(1);
    const closing = s.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(400);
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

describe('server with the model in a worker thread', () => {
  it('answers exactly like the in-process server, and /health stays responsive during a long batch', async () => {
    const encoder = await workerEncoder({ modelDir: tinyModel, backend: 'wasm', batchSize: 32 }, 1);
    const s = await buildServer({ encoder, modelName: 'tiny', corpus, limits: { batchWaitMs: 1 } });
    const url = await s.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const health = await (await fetch(`${url}/health`)).json();
      expect(health).toEqual({ status: 'ok', model: 'tiny', dimension: 32, max_seq_length: 32, backend: 'wasm', workers: 1, corpus_size: 60 });
      for (const [route, body] of [
        ['/v1/embeddings', { input: ['A man is eating food.', 'hello world', 'x'], dimensions: 12 }],
        ['/v1/similarity', { a: ['a man eats food', 'the cat sleeps'], b: ['someone eats', 'a cat naps'] }],
        ['/v1/search', { query: ['a red car'], top_k: 4 }],
      ] as const) {
        const [viaWorker, inProcess] = await Promise.all([
          fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json()),
          post(route, body).then((r) => r.json),
        ]);
        expect(viaWorker, route).toEqual(inProcess);
      }
      // A large request runs in the worker; the event loop keeps answering /health meanwhile.
      const big = fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: sentences(2000, 91) }) });
      for (let i = 0; i < 200 && s.metrics.inflight === 0; i++) await new Promise((res) => setTimeout(res, 5));
      const t = performance.now();
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const healthMs = performance.now() - t;
      expect(s.metrics.inflight).toBe(1);
      expect(healthMs).toBeLessThan(200);
      expect(((await (await big).json()) as { data: unknown[] }).data).toHaveLength(2000);
    } finally {
      await s.close();
      await encoder.close();
    }
  });
});
