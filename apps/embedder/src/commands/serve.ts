/** `serve`: the HTTP server, with graceful shutdown on SIGTERM / SIGINT. */
import path from 'node:path';
import { ProgressBar, SentenceTransformer, initBackend } from '@sbert/core';
import { EMBEDDER_BACKENDS } from '../encoding/encode-settings.js';
import { parseCommand, type CommandSpec, type ParsedOptions } from '../args.js';
import { UsageError } from '../errors.js';
import { readAllTexts, type InputSpec } from '../io/text-input.js';
import { DEFAULT_LIMITS, buildServer, type EmbedderServer, type ServerLimits } from '../server/server.js';
import { inProcessEncoder, workerEncoder, type ServerEncoder } from '../server/server-encoder.js';
import { INPUT_FORMAT_OPTION, inputFormatFrom, log, type CommandContext } from './common.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'Serve embeddings over HTTP (OpenAI-compatible /v1/embeddings, /v1/similarity, /v1/search, /health, /metrics).',
  usage: 'sbert-embedder serve --model DIR [--port N] [--host ADDR] [--corpus FILE] [options]',
  options: {
    model: { type: 'string', short: 'm', value: 'DIR', description: 'sentence-transformers model directory (required).' },
    'model-name': { type: 'string', value: 'NAME', description: 'Name reported as "model" in responses (default: the directory name).' },
    backend: { type: 'string', value: 'NAME', description: `${EMBEDDER_BACKENDS.join(', ')}: a TF.js backend, or onnx (onnxruntime-node, needs \`npm i onnxruntime-node\`).`, default: 'auto' },
    'onnx-file': { type: 'string', value: 'FILE', description: 'With --backend onnx: a file in <model>/onnx/ or a path (default onnx/model.onnx, else exported in memory).' },
    'batch-size': { type: 'string', value: 'N', description: 'Texts per forward pass.', default: '32' },
    'max-seq-length': { type: 'string', value: 'N', description: "Override the model's max_seq_length (tokens)." },
    normalize: { type: 'boolean', description: 'L2-normalise every returned embedding (after "dimensions").' },
    workers: { type: 'string', value: 'N', description: 'Worker threads running the model (one micro-batch each); 0 runs it on the main thread, between requests.', default: '1' },
    host: { type: 'string', value: 'ADDR', description: 'Address to listen on.', default: '127.0.0.1' },
    port: { type: 'string', short: 'p', value: 'N', description: 'Port (0 picks a free one).', default: '8000' },
    corpus: { type: 'string', short: 'c', value: 'FILE', description: 'Corpus for /v1/search (.txt, .tsv or .jsonl), embedded at start-up.' },
    ...INPUT_FORMAT_OPTION,
    field: { type: 'string', value: 'NAME', description: 'Column (tsv) or key (jsonl) holding the corpus text.', default: 'text' },
    'max-inputs': { type: 'string', value: 'N', description: 'Texts per request.', default: String(DEFAULT_LIMITS.maxInputs) },
    'max-text-length': { type: 'string', value: 'N', description: 'Characters per text.', default: String(DEFAULT_LIMITS.maxTextLength) },
    'body-limit': { type: 'string', value: 'BYTES', description: 'Largest request body (suffix k or m for KiB / MiB).', default: '4m' },
    'max-batch-texts': { type: 'string', value: 'N', description: 'Texts per micro-batch (model call).', default: String(DEFAULT_LIMITS.maxBatchTexts) },
    'batch-wait-ms': { type: 'string', value: 'MS', description: 'How long a request waits for others to batch with.', default: String(DEFAULT_LIMITS.batchWaitMs) },
    'max-queue-texts': { type: 'string', value: 'N', description: 'Texts allowed to wait; more gives 503.', default: String(DEFAULT_LIMITS.maxQueueTexts) },
    quiet: { type: 'boolean', short: 'q', description: 'Only print the listening address.' },
  },
  notes: 'Prints "listening on http://HOST:PORT" on stdout when ready. SIGTERM or SIGINT stops accepting\nconnections, finishes the requests in flight, then exits 0; a second signal exits 1 at once.',
};

function bytes(o: ParsedOptions, name: string): number {
  const raw = (o.string(name) ?? '').trim().toLowerCase();
  const m = /^(\d+)([km]?)$/.exec(raw);
  if (!m) throw new UsageError(`serve: --${name} must be a byte count like 1048576, 512k or 4m, got '${raw}'`);
  return Number(m[1]) * (m[2] === 'k' ? 1024 : m[2] === 'm' ? 1024 * 1024 : 1);
}

export interface ServeHandle {
  url: string;
  server: EmbedderServer;
  /** Resolves when the server has shut down. */
  closed: Promise<void>;
  shutdown(): Promise<void>;
}

/** Starts the server; `handleSignals` installs the SIGTERM / SIGINT handlers (the CLI does). */
export async function startServe(argv: readonly string[], ctx: CommandContext, handleSignals = true): Promise<ServeHandle | undefined> {
  const o = parseCommand(serveSpec, argv);
  if (!o) return undefined;
  const quiet = o.flag('quiet');
  const modelDir = o.required('model');
  const port = o.int('port', 0, 65535) ?? 8000;
  const host = o.string('host') ?? '127.0.0.1';
  const limits: Partial<ServerLimits> = {
    maxInputs: o.int('max-inputs')!,
    maxTextLength: o.int('max-text-length')!,
    bodyLimit: bytes(o, 'body-limit'),
    maxBatchTexts: o.int('max-batch-texts')!,
    batchWaitMs: o.int('batch-wait-ms', 0)!,
    maxQueueTexts: o.int('max-queue-texts')!,
  };
  // The corpus first: a bad line stops start-up before any model is loaded.
  let corpus: string[] | undefined;
  const corpusFile = o.string('corpus');
  if (corpusFile !== undefined) {
    const spec: InputSpec = { file: corpusFile, fields: [o.string('field') ?? 'text'] };
    const format = inputFormatFrom(o);
    if (format) spec.format = format;
    corpus = await readAllTexts(spec);
  }
  const backend = o.choice('backend', EMBEDDER_BACKENDS) ?? 'auto';
  const onnxFile = o.string('onnx-file');
  if (onnxFile !== undefined && backend !== 'onnx') throw new UsageError('serve: --onnx-file needs --backend onnx');
  const onnx = onnxFile === undefined ? {} : { onnxFile };
  const batchSize = o.int('batch-size') ?? 32;
  const maxSeqLength = o.int('max-seq-length');
  const workers = o.int('workers', 0, 256) ?? 1;
  let encoder: ServerEncoder;
  let model: SentenceTransformer | undefined;
  if (workers === 0) {
    model = await SentenceTransformer.load(modelDir, maxSeqLength === undefined ? { backend, ...onnx } : { backend, maxSeqLength, ...onnx });
    encoder = inProcessEncoder(model, batchSize);
  } else {
    // The main thread still computes similarities and searches: same backend as the workers.
    // (onnx: the main thread's TF.js backend is picked automatically.)
    const info = await initBackend({ backend: backend === 'onnx' ? 'auto' : backend });
    const settings = { modelDir: path.resolve(modelDir), backend: backend === 'onnx' ? backend : info.choice, batchSize, ...onnx };
    encoder = await workerEncoder(maxSeqLength === undefined ? settings : { ...settings, maxSeqLength }, workers);
  }
  const release = async (): Promise<void> => {
    await encoder.close();
    model?.dispose();
  };
  const bar = quiet || !corpus ? undefined : new ProgressBar(corpus.length, 'corpus ', ctx.stderr as NodeJS.WriteStream);
  let done = 0;
  const server = await buildServer({
    encoder,
    modelName: o.string('model-name') ?? path.basename(path.resolve(modelDir)),
    normalize: o.flag('normalize'),
    limits,
    ...(corpus ? { corpus } : {}),
    onCorpusProgress: (d) => {
      bar?.tick(d - done);
      done = d;
    },
  }).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  bar?.finish();
  const address = await server.app.listen({ host, port }).catch(async (error: unknown) => {
    await server.close();
    await release();
    throw error;
  });
  ctx.stdout.write(`listening on ${address}\n`);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      log(quiet, ctx, 'serve: shutting down; finishing requests in flight');
      await server.close();
      await release();
      log(quiet, ctx, 'serve: stopped');
      resolveClosed();
    })();
    return shuttingDown;
  };
  if (handleSignals) {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (shuttingDown) {
        ctx.stderr.write(`serve: ${signal} again; exiting now\n`);
        process.exit(1);
      }
      void shutdown();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void closed.then(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  }
  return { url: address, server, closed, shutdown };
}

export async function serveCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const handle = await startServe(argv, ctx);
  if (!handle) return -1;
  await handle.closed;
  return 0;
}
