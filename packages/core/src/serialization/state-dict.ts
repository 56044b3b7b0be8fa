/**
 * Finds and reads the weights of a Hugging Face model directory, whatever form they take:
 * `model.safetensors`, `model.safetensors.index.json` (sharded), `pytorch_model.bin` (torch.save,
 * zip or legacy) or `pytorch_model.bin.index.json` (sharded), in transformers' order of preference.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { CheckpointError } from '../errors.js';
import { parseSafetensors, readSafetensors, type StoredTensor } from './safetensors.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint.js';

/** Weight files in the order transformers prefers them. */
export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/** Weight files of other frameworks, named in the error when nothing loadable is found. */
const OTHER_WEIGHTS = ['tf_model.h5', 'flax_model.msgpack', 'model.onnx', 'onnx/model.onnx', 'openvino_model.xml', 'model.ckpt.index'];

export interface StateDict {
  /** The file read (the index file for sharded checkpoints); errors about tensors name it. */
  file: string;
  /** Every file read. */
  files: string[];
  tensors: Map<string, StoredTensor>;
}

/** Reads one weights file by its extension. */
export async function readWeightsFile(file: string): Promise<Map<string, StoredTensor>> {
  return file.endsWith('.safetensors') ? readSafetensors(file) : readTorchCheckpoint(file);
}

async function readSharded(index: string): Promise<StateDict> {
  const dir = path.dirname(index);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(index, 'utf8'));
  } catch (error) {
    throw new CheckpointError(`${index}: cannot read the shard index (${(error as Error).message})`, index, {}, { cause: error });
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(`${index}: expected an object with a 'weight_map' of tensor name → shard file`, index);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    // Shards are files beside the index, never paths elsewhere.
    if (typeof shard !== 'string' || shard === '' || shard.includes('/') || shard.includes('\\') || shard === '.' || shard === '..') {
      throw new CheckpointError(`${index}: tensor '${name}' maps to ${JSON.stringify(shard)}, expected a file name beside the index`, index);
    }
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const tensors = new Map<string, StoredTensor>();
  const files: string[] = [index];
  const safetensors = index.endsWith('.safetensors.index.json');
  for (const [shard, names] of [...byShard].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const file = path.join(dir, shard);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch (error) {
      throw new CheckpointError(`${file}: cannot read shard listed in ${path.basename(index)} (${(error as Error).message})`, file, {}, { cause: error });
    }
    const part = safetensors ? parseSafetensors(bytes, file) : parseTorchCheckpoint(bytes, file);
    const missing = names.filter((n) => !part.has(n));
    if (missing.length) throw new CheckpointError(`${file}: missing tensors that ${path.basename(index)} puts in this shard: ${missing.join(', ')}`, file, { missing });
    for (const [name, t] of part) {
      if (tensors.has(name)) throw new CheckpointError(`${file}: tensor '${name}' is also in another shard`, file);
      tensors.set(name, t);
    }
    files.push(file);
  }
  return { file: index, files, tensors };
}

/** Reads the weights of `dir` (see WEIGHT_FILES); a CheckpointError says what was found instead. */
export async function readStateDict(dir: string): Promise<StateDict> {
  const found = WEIGHT_FILES.find((f) => existsSync(path.join(dir, f)));
  if (!found) {
    const others = OTHER_WEIGHTS.filter((f) => existsSync(path.join(dir, f)));
    throw new CheckpointError(
      others.length
        ? `${dir}: found ${others.join(', ')}, which cannot be loaded; expected one of ${WEIGHT_FILES.join(', ')} (convert the weights to PyTorch or safetensors)`
        : `${dir}: no weights file; expected one of ${WEIGHT_FILES.join(', ')}`,
      path.join(dir, WEIGHT_FILES[0]),
    );
  }
  const file = path.join(dir, found);
  if (found.endsWith('.index.json')) return readSharded(file);
  return { file, files: [file], tensors: await readWeightsFile(file) };
}
