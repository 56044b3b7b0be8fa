/**
 * One EncodePool worker: its own backend and model; encodes batches in the order they arrive
 * and sends each batch's rows back to back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { backendInfo } from '../backend.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { serializeError } from '../errors.js';
import type { PoolReply, PoolRequest, WorkerSettings } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('encode-worker.js must run in a worker thread');
const settings = workerData as WorkerSettings;
const send = (m: PoolReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const model = await SentenceTransformer.load(settings.modelDir, {
    ...(settings.backend ? { backend: settings.backend } : {}),
    ...(settings.maxSeqLength !== undefined ? { maxSeqLength: settings.maxSeqLength } : {}),
  });
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (req: PoolRequest) => {
    queue = queue.then(async () => {
      try {
        const rows = await model.encode(req.texts, req.options);
        const dim = rows[0]?.length ?? 0;
        const data = new Float32Array(rows.length * dim);
        rows.forEach((r, i) => data.set(r, i * dim));
        send({ type: 'result', id: req.id, data }, [data.buffer]);
      } catch (error) {
        send({ type: 'error', id: req.id, error: serializeError(error) });
      }
    });
  });
  send({ type: 'ready', dimension: model.getSentenceEmbeddingDimension(), similarityFnName: model.similarityFnName, maxSeqLength: model.maxSeqLength, backend: backendInfo()?.choice ?? 'unknown' });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
}
