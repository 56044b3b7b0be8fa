/**
 * The HTTP server (fastify): OpenAI-compatible /v1/embeddings, /v1/similarity, /v1/search over
 * a corpus embedded at start-up, /v1/models, /health and /metrics. Every error is a JSON body in
 * the OpenAI shape; bodies are parsed here as strict UTF-8 JSON within `bodyLimit`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  InputError,
  SbertError,
  l2Normalize,
  pairwiseSimilarity,
  semanticSearch,
  similarity,
  tf,
  type SentenceTransformer,
  type SimilarityFunction,
} from '@sbert/core';
import { ApiError } from './api-error.js';
import { Metrics } from './metrics.js';
import { MicroBatcher } from './micro-batcher.js';
import { inProcessEncoder, type EncodedText, type ServerEncoder } from './server-encoder.js';
import { optionalBool, optionalChoice, optionalInt, optionalSimilarityFn, optionalString, requireObject, textList, type TextLimits } from './validate.js';

export interface ServerLimits {
  /** Texts per request (default 2048, as OpenAI). */
  maxInputs: number;
  /** Characters per text (default 32768). */
  maxTextLength: number;
  /** Request body bytes (default 4 MiB). */
  bodyLimit: number;
  /** Texts per model call (default 64). */
  maxBatchTexts: number;
  /** Milliseconds a request waits for companions (default 2). */
  batchWaitMs: number;
  /** Texts allowed to wait before requests get 503 (default 8192). */
  maxQueueTexts: number;
  /** Largest top_k of /v1/search (default 1000). */
  maxTopK: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxInputs: 2048,
  maxTextLength: 32768,
  bodyLimit: 4 * 1024 * 1024,
  maxBatchTexts: 64,
  batchWaitMs: 2,
  maxQueueTexts: 8192,
  maxTopK: 1000,
};

export interface ServerOptions {
  /** What embeds: e.g. workerEncoder(...) (the caller closes it). Or give `model`. */
  encoder?: ServerEncoder;
  /** A loaded model to run on the main thread (the caller disposes it). */
  model?: SentenceTransformer;
  /** Name reported as `model` in responses (default 'sbert'). */
  modelName?: string;
  /** Texts per forward pass inside a micro-batch, with `model` (default 32). */
  batchSize?: number;
  /** L2-normalise every embedding the server returns or searches with (after `dimensions`). */
  normalize?: boolean;
  /** Search corpus (texts), embedded when the server is built. */
  corpus?: readonly string[];
  limits?: Partial<ServerLimits>;
  /** Progress while embedding the corpus. */
  onCorpusProgress?: (done: number, total: number) => void;
}

export interface EmbedderServer {
  app: FastifyInstance;
  metrics: Metrics;
  batcher: MicroBatcher<EncodedText>;
  /** Stops accepting requests, finishes those in flight, then releases the corpus tensor. */
  close(): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Truncates to `dims` and, with `normalize`, L2-normalises (truncate first, as encode does). */
function postProcess(rows: Float32Array[], dims: number | undefined, normalize: boolean): Float32Array[] {
  const cut = dims === undefined ? rows : rows.map((r) => (dims < r.length ? r.slice(0, dims) : r));
  if (!normalize || cut.length === 0) return cut;
  const d = cut[0]!.length;
  const flat = new Float32Array(cut.length * d);
  cut.forEach((r, i) => flat.set(r, i * d));
  const out = tf.tidy(() => l2Normalize(tf.tensor2d(flat, [cut.length, d])).dataSync() as Float32Array);
  return cut.map((_, i) => out.slice(i * d, (i + 1) * d));
}

function toBase64(row: Float32Array): string {
  return Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('base64');
}

function errorReply(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.code(e.status).header('content-type', 'application/json; charset=utf-8').send(e.toBody());
}

/** Maps any error to an ApiError: ours, fastify's 4xx, the library's input errors, else 500. */
export function toApiError(error: unknown, bodyLimit = DEFAULT_LIMITS.bodyLimit): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, `the request body is larger than the limit of ${bodyLimit} bytes`, null, 'body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, `unsupported content type; send 'application/json'`, null, 'unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'the request body is empty; expected a JSON object', null, 'invalid_body');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'the Content-Length header does not match the body', null, 'invalid_body');
    default:
      break;
  }
  if (error instanceof InputError) return new ApiError(400, error.message, null, 'invalid_input');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError(e.statusCode, e.message ?? 'bad request', null, e.code ?? null);
  }
  const message = error instanceof SbertError ? error.message : 'internal server error';
  return new ApiError(500, message, null, 'internal_error');
}

export async function buildServer(options: ServerOptions): Promise<EmbedderServer> {
  const encoder = options.encoder ?? (options.model ? inProcessEncoder(options.model, options.batchSize ?? 32) : undefined);
  if (!encoder) throw new InputError('buildServer needs an encoder or a model');
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const modelName = options.modelName ?? 'sbert';
  const normalize = options.normalize ?? false;
  const dimension = encoder.dimension;
  const textLimits: TextLimits = { maxInputs: limits.maxInputs, maxTextLength: limits.maxTextLength };
  const metrics = new Metrics();
  const batcher = new MicroBatcher<EncodedText>((texts) => encoder.encode(texts), {
    maxBatchTexts: limits.maxBatchTexts,
    maxWaitMs: limits.batchWaitMs,
    maxQueueTexts: limits.maxQueueTexts,
    concurrency: encoder.concurrency,
    onBatch: (n, s) => metrics.observeBatch(n, s),
  });
  const embed = async (texts: readonly string[], dims?: number): Promise<{ rows: Float32Array[]; tokens: number }> => {
    const results = await batcher.submit(texts);
    const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
    return { rows: postProcess(results.map((r) => r.embedding), dims, normalize), tokens };
  };

  // The search corpus: embedded once (in chunks, through the same encoder), kept as one (N, D) tensor.
  const corpus = options.corpus ?? [];
  let corpusTensor: tf.Tensor2D | undefined;
  if (corpus.length > 0) {
    const flat = new Float32Array(corpus.length * dimension);
    const step = 1024;
    for (let i = 0; i < corpus.length; i += step) {
      const results = await encoder.encode(corpus.slice(i, i + step));
      postProcess(results.map((r) => r.embedding), undefined, normalize).forEach((r, k) => flat.set(r, (i + k) * dimension));
      options.onCorpusProgress?.(Math.min(i + step, corpus.length), corpus.length);
    }
    corpusTensor = tf.tensor2d(flat, [corpus.length, dimension]);
  }

  let closing = false;
  const app = Fastify({ logger: false, bodyLimit: limits.bodyLimit, return503OnClosing: true });

  // Only JSON bodies; read here so that invalid UTF-8 is a 400 (not silent U+FFFD) and so that
  // an oversized body is read to its end and discarded before the 413: a client still sending
  // would otherwise get EPIPE instead of the answer. Beyond `drainCap` the connection is cut.
  const drainCap = Math.max(4 * limits.bodyLimit, 16 * 1024 * 1024);
  const tooLarge = (): ApiError => new ApiError(413, `the request body is larger than the limit of ${limits.bodyLimit} bytes`, null, 'body_too_large');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (req, payload, done) => {
    let finished = false;
    const finish = (error: Error | null, body?: unknown): void => {
      if (finished) return;
      finished = true;
      payload.removeAllListeners('data');
      done(error, body);
    };
    if (Number(req.headers['content-length']) > drainCap) {
      finish(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainCap) finish(tooLarge());
      else if (size <= limits.bodyLimit) chunks.push(chunk);
      else chunks.length = 0;
    });
    // The client went away mid-body (no one will read the answer, but the request is settled).
    payload.on('error', () => finish(new ApiError(400, 'the request body ended early', null, 'incomplete_body')));
    payload.on('end', () => {
      if (size > limits.bodyLimit) return finish(tooLarge());
      let text: string;
      try {
        text = utf8.decode(Buffer.concat(chunks, size));
      } catch {
        return finish(new ApiError(400, 'the request body is not valid UTF-8', null, 'invalid_utf8'));
      }
      if (text.trim() === '') return finish(new ApiError(400, 'the request body is empty; expected a JSON object', null, 'invalid_body'));
      try {
        finish(null, JSON.parse(text));
      } catch (error) {
        finish(new ApiError(400, `the request body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json'));
      }
    });
  });

  app.addHook('onRequest', async () => {
    metrics.inflight++;
  });
  app.addHook('onSend', async (_req, reply) => {
    // While shutting down, close each connection after its response so the server can stop.
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    metrics.inflight--;
    metrics.observeRequest(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error, _req, reply) => {
    const api = toApiError(error, limits.bodyLimit);
    if (api.status >= 500 && !(error instanceof ApiError)) process.stderr.write(`serve: ${(error as Error).stack ?? String(error)}\n`);
    return errorReply(reply, api);
  });
  app.setNotFoundHandler((req, reply) => errorReply(reply, new ApiError(404, `no route ${req.method} ${req.url.split('?')[0]}`, null, 'not_found')));

  app.post('/v1/embeddings', async (req) => {
    const body = requireObject(req.body);
    const texts = textList(body['input'], 'input', textLimits);
    optionalString(body['model'], 'model');
    optionalString(body['user'], 'user');
    const encodingFormat = optionalChoice(body['encoding_format'], 'encoding_format', ['float', 'base64'] as const) ?? 'float';
    const dims = optionalInt(body['dimensions'], 'dimensions', 1, dimension);
    const { rows, tokens } = await embed(texts, dims);
    metrics.addTokens(tokens);
    return {
      object: 'list',
      data: rows.map((r, index) => ({ object: 'embedding', index, embedding: encodingFormat === 'base64' ? toBase64(r) : Array.from(r) })),
      model: modelName,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });

  app.post('/v1/similarity', async (req) => {
    const body = requireObject(req.body);
    const a = textList(body['a'], 'a', textLimits);
    const b = textList(body['b'], 'b', textLimits);
    if (a.length + b.length > limits.maxInputs) throw new ApiError(400, `'a' and 'b' hold ${a.length + b.length} texts together; at most ${limits.maxInputs} are allowed`, 'b', 'too_many_inputs');
    const pairwise = optionalBool(body['pairwise'], 'pairwise') ?? false;
    if (pairwise && a.length !== b.length) throw new ApiError(400, `pairwise similarity needs as many 'b' texts as 'a' texts, got ${a.length} and ${b.length}`, 'b', 'invalid_value');
    const fn: SimilarityFunction = optionalSimilarityFn(body['similarity_fn']) ?? encoder.similarityFnName;
    const { rows } = await embed([...a, ...b]);
    const ea = rows.slice(0, a.length);
    const eb = rows.slice(a.length);
    const scores = pairwise
      ? Array.from(tf.tidy(() => pairwiseSimilarity(tf.tensor2d(concat(ea), [a.length, dimension]), tf.tensor2d(concat(eb), [b.length, dimension]), fn).dataSync()))
      : similarity(ea, eb, fn);
    return { object: 'similarity', model: modelName, similarity_fn: fn, pairwise, scores };
  });

  app.post('/v1/search', async (req) => {
    const body = requireObject(req.body);
    if (!corpusTensor) throw new ApiError(404, 'no search corpus is loaded; start the server with --corpus FILE', null, 'no_corpus');
    const queries = textList(body['query'], 'query', textLimits);
    const topK = optionalInt(body['top_k'], 'top_k', 1, limits.maxTopK) ?? 10;
    const fn = optionalSimilarityFn(body['similarity_fn']) ?? encoder.similarityFnName;
    const { rows } = await embed(queries);
    const hits = semanticSearch(rows, corpusTensor, { topK, scoreFunction: fn });
    return {
      object: 'list',
      model: modelName,
      similarity_fn: fn,
      data: hits.map((h, index) => ({ index, query: queries[index], hits: h.map((x) => ({ corpus_id: x.corpusId, score: x.score, text: corpus[x.corpusId] })) })),
    };
  });

  app.get('/v1/models', async () => ({
    object: 'list',
    data: [{ id: modelName, object: 'model', created: 0, owned_by: 'sbert' }],
  }));

  app.get('/health', async () => ({
    status: 'ok',
    model: modelName,
    dimension,
    max_seq_length: encoder.maxSeqLength,
    backend: encoder.backend,
    workers: encoder.workers,
    corpus_size: corpus.length,
  }));

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return metrics.render({ queueTexts: batcher.queuedTexts, corpusSize: corpus.length, tensors: tf.memory().numTensors });
  });

  await app.ready();
  return {
    app,
    metrics,
    batcher,
    async close() {
      closing = true;
      await app.close();
      await batcher.drain();
      corpusTensor?.dispose();
      corpusTensor = undefined;
    },
  };
}

function concat(rows: Float32Array[]): Float32Array {
  const d = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * d);
  rows.forEach((r, i) => flat.set(r, i * d));
  return flat;
}
