/**
 * Entry point of one encode worker thread: initialises its own backend, loads its own copy of
 * the model, then encodes chunks one at a time, in the order they arrive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SentenceTransformer } from '@sbert/core';
import { encodeFlat, loadOptions, outputDimension, runningBackend, serializeError, type EncodeSettings } from './encode-settings.js';
import type { WorkerReply, WorkerRequest } from './worker-pool.js';

const port = parentPort;
if (!port) throw new Error('encode-worker.js must run in a worker thread');
const settings = workerData as EncodeSettings;
const send = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const model = await SentenceTransformer.load(settings.modelDir, loadOptions(settings));
  const dim = outputDimension(model, settings);
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (req: WorkerRequest) => {
    queue = queue.then(async () => {
      try {
        const data = await encodeFlat(model, req.texts, settings, dim);
        const tokens = req.withTokens ? req.texts.map((t) => model.tokenizer.countTokens(t)) : undefined;
        send(tokens ? { type: 'result', id: req.id, data, tokens } : { type: 'result', id: req.id, data }, [data.buffer as ArrayBuffer]);
      } catch (error) {
        send({ type: 'error', id: req.id, error: serializeError(error) });
      }
    });
  });
  send({ type: 'ready', dimension: dim, backend: runningBackend(model), similarityFnName: model.similarityFnName, maxSeqLength: model.maxSeqLength });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
}
