/**
 * The training configuration: every option with its default and description, read from a
 * JSON or YAML file and overridden by command-line flags (flags win). Validation happens
 * before any training starts and names the option at fault.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@sbert/core';
import YAML from 'yaml';
import { SCHEDULERS, type Scheduler } from './training/schedule.js';

/** Reader formats a dataset can be given in (each maps to an @sbert/data reader). */
export const DATA_FORMATS = ['pairs', 'sts', 'nli', 'nli-triplets', 'msmarco-triples', 'hard-negatives', 'generic'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export interface DataConfig {
  /** Path of the file (relative paths are resolved against the config file's folder). */
  path: string;
  format: DataFormat;
  /** Options passed to the reader (e.g. `{ "labelPosition": "first" }`, `{ "split": "train" }`). */
  options?: Record<string, unknown>;
  /** Use at most this many records. */
  limit?: number;
}

export interface ObjectiveConfig {
  data: DataConfig;
  /** A loss class of @sbert/losses (`CoSENTLoss`), or `path/to/module.js#ExportName` for a user's loss. */
  loss: string;
  /** Options of the loss constructor (camelCase, as in @sbert/losses). */
  lossOptions?: Record<string, unknown>;
  /** Batch sampler: `default` (seeded shuffle) or `no-duplicates` (for in-batch negatives). */
  sampler?: 'default' | 'no-duplicates';
}

export const EVALUATOR_TYPES = ['EmbeddingSimilarityEvaluator', 'BinaryClassificationEvaluator', 'TripletEvaluator'] as const;
export type EvaluatorType = (typeof EVALUATOR_TYPES)[number];

export interface EvaluatorConfig {
  type: EvaluatorType;
  data: DataConfig;
  name?: string;
}

export const MODEL_SHAPES = {
  tiny: { layers: 2, hidden: 128, heads: 2, intermediate: 512 },
  small: { layers: 4, hidden: 256, heads: 4, intermediate: 1024 },
  base: { layers: 12, hidden: 768, heads: 12, intermediate: 3072 },
} as const;
export type ModelShape = keyof typeof MODEL_SHAPES;

export interface TrainConfig {
  model?: string;
  shape?: ModelShape;
  tokenizer?: string;
  maxSeqLength: number;
  pooling: string;
  objectives: ObjectiveConfig[];
  evaluator?: EvaluatorConfig;
  outputDir: string;
  epochs: number;
  maxSteps?: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  warmupSteps?: number;
  warmupRatio: number;
  scheduler: Scheduler;
  maxGradNorm: number;
  gradientAccumulationSteps: number;
  miniBatchSize?: number;
  dataParallel: number;
  seed: number;
  evaluationSteps: number;
  checkpointSteps: number;
  resume: boolean;
  backend: 'auto' | 'wasm' | 'cpu' | 'node' | 'node-gpu';
  logEvery: number;
  report: boolean;
  progress: boolean;
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'json';
interface OptionSpec {
  key: keyof TrainConfig;
  flag: string;
  kind: Kind;
  default?: unknown;
  description: string;
  choices?: readonly string[];
  min?: number;
}

/** Every option: flag, type, default and what it does (`sbert-trainer train --help` prints this). */
export const OPTIONS: OptionSpec[] = [
  { key: 'model', flag: 'model', kind: 'string', description: 'Model directory to fine-tune (sentence-transformers format or plain Hugging Face BERT). Omit to train from scratch with --shape.' },
  { key: 'shape', flag: 'shape', kind: 'string', choices: Object.keys(MODEL_SHAPES), description: 'Shape of a fresh, randomly initialised BERT when no --model is given: tiny (2x128), small (4x256), base (12x768).' },
  { key: 'tokenizer', flag: 'tokenizer', kind: 'string', description: 'Directory with tokenizer.json or vocab.txt for a fresh model.' },
  { key: 'maxSeqLength', flag: 'max-seq-length', kind: 'integer', default: 128, min: 1, description: 'Truncation length in tokens (a fresh model; a loaded model keeps its own unless given).' },
  { key: 'pooling', flag: 'pooling', kind: 'string', default: 'mean', choices: ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'], description: 'Pooling of a fresh model.' },
  { key: 'objectives', flag: 'objectives', kind: 'json', default: [], description: 'List of {data: {path, format, options?, limit?}, loss, lossOptions?, sampler?}; taken round-robin. The flags --train/--format/--loss give one objective.' },
  { key: 'evaluator', flag: 'evaluator', kind: 'json', description: 'Evaluator {type, data, name?}; run every --evaluation-steps and at each epoch end. The flags --eval/--eval-format/--evaluator-type give one.' },
  { key: 'outputDir', flag: 'output-dir', kind: 'string', default: 'output/run', description: 'Where the best and last models, checkpoints, logs and the report go.' },
  { key: 'epochs', flag: 'epochs', kind: 'integer', default: 1, min: 1, description: 'Passes over the data.' },
  { key: 'maxSteps', flag: 'max-steps', kind: 'integer', min: 1, description: 'Stop after this many optimizer steps (overrides epochs for the schedule).' },
  { key: 'batchSize', flag: 'batch-size', kind: 'integer', default: 16, min: 1, description: 'Examples per batch.' },
  { key: 'learningRate', flag: 'learning-rate', kind: 'number', default: 2e-5, min: 0, description: 'Peak learning rate of AdamW.' },
  { key: 'weightDecay', flag: 'weight-decay', kind: 'number', default: 0.01, min: 0, description: 'Decoupled weight decay (not applied to bias and LayerNorm weights).' },
  { key: 'warmupSteps', flag: 'warmup-steps', kind: 'integer', min: 0, description: 'Warmup steps (overrides --warmup-ratio).' },
  { key: 'warmupRatio', flag: 'warmup-ratio', kind: 'number', default: 0.1, min: 0, description: 'Warmup as a fraction of all steps.' },
  { key: 'scheduler', flag: 'scheduler', kind: 'string', default: 'warmuplinear', choices: SCHEDULERS, description: 'Learning-rate schedule, as sentence-transformers fit().' },
  { key: 'maxGradNorm', flag: 'max-grad-norm', kind: 'number', default: 1, min: 0, description: 'Clip the global gradient norm to this (0: no clipping).' },
  { key: 'gradientAccumulationSteps', flag: 'gradient-accumulation-steps', kind: 'integer', default: 1, min: 1, description: 'Batches whose gradients are summed before one optimizer step.' },
  { key: 'miniBatchSize', flag: 'mini-batch-size', kind: 'integer', min: 1, description: 'Gradient caching: embed at most this many texts with gradients at once (memory no longer grows with the batch).' },
  { key: 'dataParallel', flag: 'data-parallel', kind: 'integer', default: 1, min: 1, description: 'Worker threads that share each batch (one replica of the model each; same gradients). Use the number of cores on wasm, which runs one core per thread.' },
  { key: 'seed', flag: 'seed', kind: 'integer', default: 42, description: 'Seed of initialisation, shuffling and dropout.' },
  { key: 'evaluationSteps', flag: 'evaluation-steps', kind: 'integer', default: 0, min: 0, description: 'Evaluate every N steps (0: only at epoch ends).' },
  { key: 'checkpointSteps', flag: 'checkpoint-steps', kind: 'integer', default: 500, min: 0, description: 'Write a resumable checkpoint every N steps (0: never).' },
  { key: 'resume', flag: 'resume', kind: 'boolean', default: false, description: 'Continue from the checkpoint in output-dir.' },
  { key: 'backend', flag: 'backend', kind: 'string', default: 'auto', choices: ['auto', 'wasm', 'cpu', 'node', 'node-gpu'], description: 'TensorFlow.js backend.' },
  { key: 'logEvery', flag: 'log-every', kind: 'integer', default: 1, min: 1, description: 'Write a JSONL log line every N steps.' },
  { key: 'report', flag: 'report', kind: 'boolean', default: true, description: 'Write report.html at the end.' },
  { key: 'progress', flag: 'progress', kind: 'boolean', default: true, description: 'Show the progress bar.' },
];

function convert(spec: OptionSpec, value: unknown, where: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(`${where}: option '${spec.flag}' is ${JSON.stringify(value)}; expected ${expected}`, { field: spec.flag });
  };
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string' || value === '') fail('a non-empty string');
      if (spec.choices && !spec.choices.includes(value as string)) fail(`one of ${spec.choices.join(', ')}`);
      return value;
    case 'number':
    case 'integer': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) fail(spec.kind === 'integer' ? 'an integer' : 'a number');
      if (spec.kind === 'integer' && !Number.isInteger(n)) fail('an integer');
      if (spec.min !== undefined && (n as number) < spec.min) fail(`a number >= ${spec.min}`);
      return n;
    }
    case 'boolean':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return fail('true or false');
    case 'json':
      if (typeof value === 'string') {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          return fail('JSON');
        }
      }
      return value;
  }
}

/** Reads a JSON or YAML config file. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new ConfigError(`config file ${file} not found`, { file, field: 'config' });
  const text = await fs.readFile(file, 'utf8');
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: cannot parse (${(error as Error).message})`, { file, field: 'config' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${file}: expected an object of options`, { file });
  // Relative data paths in the file are relative to the file.
  const base = path.dirname(path.resolve(file));
  const obj = value as Record<string, unknown>;
  const fix = (d: unknown): void => {
    if (d && typeof d === 'object' && typeof (d as DataConfig).path === 'string') (d as DataConfig).path = path.resolve(base, (d as DataConfig).path);
  };
  if (Array.isArray(obj['objectives'])) for (const o of obj['objectives']) fix((o as ObjectiveConfig)?.data);
  if (obj['evaluator']) fix((obj['evaluator'] as EvaluatorConfig).data);
  for (const k of ['model', 'tokenizer', 'outputDir'] as const) if (typeof obj[k] === 'string') obj[k] = path.resolve(base, obj[k] as string);
  return obj;
}

function checkData(d: unknown, field: string): DataConfig {
  if (!d || typeof d !== 'object') throw new ConfigError(`option '${field}' must be an object {path, format}`, { field });
  const data = d as DataConfig;
  if (typeof data.path !== 'string' || data.path === '') throw new ConfigError(`option '${field}.path' must be a file path`, { field: `${field}.path` });
  if (!existsSync(data.path)) throw new ConfigError(`option '${field}.path': file ${data.path} not found`, { field: `${field}.path`, file: data.path });
  if (!DATA_FORMATS.includes(data.format)) {
    throw new ConfigError(`option '${field}.format' is ${JSON.stringify(data.format)}; expected one of ${DATA_FORMATS.join(', ')}`, { field: `${field}.format` });
  }
  if (data.limit !== undefined && (!Number.isInteger(data.limit) || data.limit < 1)) throw new ConfigError(`option '${field}.limit' must be a positive integer`, { field: `${field}.limit` });
  return data;
}

/**
 * Merges defaults, the file's options and the flags (in that order of precedence, flags last)
 * and validates everything. `where` names the source in messages.
 */
export function resolveConfig(fromFile: Record<string, unknown>, fromFlags: Record<string, unknown>): TrainConfig {
  const known = new Map(OPTIONS.map((o) => [o.key as string, o]));
  for (const [source, values] of [['config file', fromFile], ['command line', fromFlags]] as const) {
    for (const key of Object.keys(values)) {
      if (!known.has(key)) {
        throw new ConfigError(`${source}: unknown option '${key}'; known options: ${OPTIONS.map((o) => o.key).join(', ')}`, { field: key });
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const raw = spec.key in fromFlags ? fromFlags[spec.key] : spec.key in fromFile ? fromFile[spec.key] : spec.default;
    if (raw === undefined) continue;
    out[spec.key] = convert(spec, raw, spec.key in fromFlags ? 'command line' : spec.key in fromFile ? 'config file' : 'default');
  }
  const config = out as unknown as TrainConfig;
  if (!config.model && !config.shape) throw new ConfigError("option 'model' or 'shape' is required: fine-tune a model directory, or train a fresh one of a named shape", { field: 'model' });
  if (config.model && !existsSync(config.model)) throw new ConfigError(`option 'model': directory ${config.model} not found`, { field: 'model', file: config.model });
  if (!config.model && !config.tokenizer) throw new ConfigError("option 'tokenizer' is required with 'shape' (a directory with tokenizer.json or vocab.txt)", { field: 'tokenizer' });
  if (!Array.isArray(config.objectives) || config.objectives.length === 0) {
    throw new ConfigError("option 'objectives' needs at least one {data, loss}; or give --train FILE --format F --loss L", { field: 'objectives' });
  }
  config.objectives.forEach((o, i) => {
    if (!o || typeof o !== 'object') throw new ConfigError(`option 'objectives[${i}]' must be an object {data, loss}`, { field: `objectives[${i}]` });
    checkData(o.data, `objectives[${i}].data`);
    if (typeof o.loss !== 'string' || o.loss === '') throw new ConfigError(`option 'objectives[${i}].loss' must name a loss`, { field: `objectives[${i}].loss` });
    if (o.sampler !== undefined && o.sampler !== 'default' && o.sampler !== 'no-duplicates') {
      throw new ConfigError(`option 'objectives[${i}].sampler' is ${JSON.stringify(o.sampler)}; expected default or no-duplicates`, { field: `objectives[${i}].sampler` });
    }
  });
  if (config.evaluator) {
    if (!EVALUATOR_TYPES.includes(config.evaluator.type)) {
      throw new ConfigError(`option 'evaluator.type' is ${JSON.stringify(config.evaluator.type)}; expected one of ${EVALUATOR_TYPES.join(', ')}`, { field: 'evaluator.type' });
    }
    checkData(config.evaluator.data, 'evaluator.data');
  }
  if (config.warmupRatio > 1) throw new ConfigError(`option 'warmup-ratio' is ${config.warmupRatio}; expected a fraction between 0 and 1`, { field: 'warmup-ratio' });
  return config;
}

/** The --help text of the train command. */
export function optionsHelp(): string {
  return OPTIONS.map((o) => {
    const def = o.default === undefined ? '' : ` (default: ${JSON.stringify(o.default)})`;
    const choices = o.choices ? ` [${o.choices.join('|')}]` : '';
    return `  --${o.flag}${choices}${def}\n      ${o.description}`;
  }).join('\n');
}
