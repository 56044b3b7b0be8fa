/**
 * `convertCheckpoint(inDir, outDir)`: loads any checkpoint @sbert/core can read (a
 * sentence-transformers directory, or a plain Hugging Face one: config.json / bert_config.json,
 * model.safetensors / pytorch_model.bin / sharded, tokenizer.json / vocab.txt) and writes it as a
 * clean sentence-transformers directory: modules.json, config.json with the architecture's
 * model_type, model.safetensors under Hugging Face names, tokenizer files, Pooling config.
 * Python's `SentenceTransformer(outDir)` loads the result with the same embeddings.
 *
 * The `sbert-convert` CLI (bin/convert.ts) is a thin wrapper around `convertCli`.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { BackendChoice } from './backend.js';
import { InputError, SbertError } from './errors.js';
import { POOLING_MODES, type PoolingMode } from './modules/pooling.js';
import { SentenceTransformer } from './sentence-transformer.js';

export interface ConvertOptions {
  /**
   * Pooling for a plain Hugging Face checkpoint (no modules.json). Default `mean`, as
   * sentence-transformers. A sentence-transformers directory keeps its own Pooling.
   */
  pooling?: PoolingMode | PoolingMode[];
  /** Overrides max_seq_length. */
  maxSeqLength?: number;
  /** Replace `outDir` if it exists and is not empty. Default false. */
  overwrite?: boolean;
  /** Backend used while converting (default: automatic). */
  backend?: BackendChoice;
}

export interface ConvertResult {
  outDir: string;
  /** The encoder's config.json model_type. */
  modelType: string;
  /** Module class names, in order. */
  modules: string[];
  embeddingDimension: number;
  maxSeqLength: number;
}

/**
 * Converts a checkpoint directory into a sentence-transformers directory with safetensors
 * weights (see the file comment). Refuses to write into `inDir` or over a non-empty `outDir`
 * unless `overwrite` is set; the output appears atomically.
 */
export async function convertCheckpoint(inDir: string, outDir: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (path.resolve(inDir) === path.resolve(outDir)) throw new InputError(`convert: the output directory must differ from the input (${inDir})`);
  if (!options.overwrite && existsSync(outDir) && (await fs.readdir(outDir)).length > 0) {
    throw new InputError(`convert: ${outDir} exists and is not empty; choose another directory or pass overwrite (--force)`);
  }
  if (options.pooling !== undefined && existsSync(path.join(inDir, 'modules.json'))) {
    throw new InputError(`convert: ${inDir} is a sentence-transformers directory (modules.json) with its own Pooling; the pooling option applies only to plain Hugging Face checkpoints`);
  }
  const model = await SentenceTransformer.load(inDir, {
    ...(options.pooling === undefined ? {} : { pooling: options.pooling }),
    ...(options.maxSeqLength === undefined ? {} : { maxSeqLength: options.maxSeqLength }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  try {
    await model.save(outDir);
    return {
      outDir,
      modelType: model.transformer.architecture.modelType,
      modules: model.modules.map((m) => m.type.split('.').pop()!),
      embeddingDimension: model.getSentenceEmbeddingDimension(),
      maxSeqLength: model.maxSeqLength,
    };
  } finally {
    model.dispose();
  }
}

export const CONVERT_USAGE = `Usage: sbert-convert <input_dir> <output_dir> [options]

Writes any checkpoint @sbert/core can load (sentence-transformers directory, or a Hugging Face
directory with config.json / bert_config.json and model.safetensors / pytorch_model.bin /
sharded index) as a sentence-transformers directory with model.safetensors.

Options:
  --pooling <modes>       pooling for a plain Hugging Face checkpoint, comma-separated
                          (${POOLING_MODES.join(', ')}); default mean
  --max-seq-length <n>    override max_seq_length
  --force                 replace a non-empty output directory
  -h, --help              show this help
`;

/** Parses `argv` (without node and script), converts, and returns the process exit code. */
export async function convertCli(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const positional: string[] = [];
  const options: ConvertOptions = {};
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const value = (): string => {
        const v = argv[++i];
        if (v === undefined) throw new InputError(`${arg} needs a value`);
        return v;
      };
      if (arg === '-h' || arg === '--help') {
        io.out(CONVERT_USAGE);
        return 0;
      } else if (arg === '--force') options.overwrite = true;
      else if (arg === '--pooling') {
        const modes = value().split(',').map((m) => m.trim());
        const bad = modes.filter((m) => !(POOLING_MODES as readonly string[]).includes(m));
        if (bad.length || modes.length === 0) throw new InputError(`--pooling: unknown mode ${bad.join(', ')}; expected ${POOLING_MODES.join(', ')}`);
        options.pooling = modes.length === 1 ? (modes[0] as PoolingMode) : (modes as PoolingMode[]);
      } else if (arg === '--max-seq-length') {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InputError(`--max-seq-length must be a positive integer, got '${v}'`);
        options.maxSeqLength = n;
      } else if (arg.startsWith('-')) throw new InputError(`unknown option ${arg}`);
      else positional.push(arg);
    }
    if (positional.length !== 2) throw new InputError(`expected <input_dir> <output_dir>, got ${positional.length} argument(s)`);
    const result = await convertCheckpoint(positional[0]!, positional[1]!, options);
    io.out(`${result.outDir}: ${result.modelType} ${result.modules.join(' → ')}, dimension ${result.embeddingDimension}, max_seq_length ${result.maxSeqLength}\n`);
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      io.err(`sbert-convert: ${error.message}\n\n${CONVERT_USAGE}`);
      return 2;
    }
    if (error instanceof SbertError) {
      io.err(`sbert-convert: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
