import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigError } from '@sbert/core';
import { OPTIONS, optionsHelp, readConfigFile, resolveConfig, type DataFormat, type EvaluatorType, type TrainConfig } from '../config.js';
import { printMetrics } from '../metrics-table.js';
import { train } from '../trainer.js';

export const TRAIN_HELP = `sbert-trainer train [--config FILE.json|.yaml] [options]

Trains a Sentence-BERT model. Options come from the config file and the flags (flags win).
One objective and one evaluator can be given with flags:
  --train FILE --format F --loss LOSS [--loss-options JSON] [--sampler default|no-duplicates] [--data-options JSON]
  --eval FILE --eval-format F [--evaluator-type T] [--eval-options JSON]

Options:
${optionsHelp()}`;

const BOOLEAN_FLAGS = new Set(OPTIONS.filter((o) => o.kind === 'boolean').map((o) => o.flag));

/** `--resume`, `--resume true|false` and `--no-resume` all become `--resume=<bool>`. */
export function normalizeBooleanFlags(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const negated = a.startsWith('--no-') && BOOLEAN_FLAGS.has(a.slice(5));
    if (negated) out.push(`--${a.slice(5)}=false`);
    else if (a.startsWith('--') && BOOLEAN_FLAGS.has(a.slice(2))) {
      const next = args[i + 1];
      if (next === 'true' || next === 'false') {
        out.push(`${a}=${next}`);
        i++;
      } else out.push(`${a}=true`);
    } else out.push(a);
  }
  return out;
}

/** Parses the train command's flags into a resolved config. */
export async function configFromArgs(args: string[]): Promise<TrainConfig> {
  const flagSpecs: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const o of OPTIONS) flagSpecs[o.flag] = { type: 'string' };
  for (const f of ['train', 'format', 'loss', 'loss-options', 'sampler', 'data-options', 'limit', 'eval', 'eval-format', 'evaluator-type', 'eval-options']) flagSpecs[f] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: normalizeBooleanFlags(args), options: flagSpecs, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; see 'sbert-trainer train --help'`);
  }
  const fromFile = typeof values['config'] === 'string' ? await readConfigFile(values['config']) : {};
  const fromFlags: Record<string, unknown> = {};
  for (const o of OPTIONS) if (values[o.flag] !== undefined) fromFlags[o.key] = values[o.flag];
  const json = (flag: string): Record<string, unknown> | undefined => {
    const v = values[flag];
    if (typeof v !== 'string') return undefined;
    try {
      return JSON.parse(v) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`option '${flag}' is not valid JSON: ${v}`, { field: flag });
    }
  };
  if (typeof values['train'] === 'string') {
    if (typeof values['format'] !== 'string') throw new ConfigError("option 'format' is required with --train", { field: 'format' });
    if (typeof values['loss'] !== 'string') throw new ConfigError("option 'loss' is required with --train", { field: 'loss' });
    fromFlags['objectives'] = [{
      data: { path: path.resolve(values['train']), format: values['format'] as DataFormat, options: json('data-options') ?? {}, ...(values['limit'] ? { limit: Number(values['limit']) } : {}) },
      loss: values['loss'],
      lossOptions: json('loss-options') ?? {},
      ...(values['sampler'] ? { sampler: values['sampler'] } : {}),
    }];
  }
  if (typeof values['eval'] === 'string') {
    fromFlags['evaluator'] = {
      type: (values['evaluator-type'] ?? 'EmbeddingSimilarityEvaluator') as EvaluatorType,
      data: { path: path.resolve(values['eval']), format: (values['eval-format'] ?? values['format']) as DataFormat, options: json('eval-options') ?? {} },
    };
  }
  for (const k of ['model', 'tokenizer', 'outputDir'] as const) if (typeof fromFlags[k] === 'string') fromFlags[k] = path.resolve(fromFlags[k] as string);
  return resolveConfig(fromFile, fromFlags);
}

export async function trainCommand(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(TRAIN_HELP);
    return;
  }
  const config = await configFromArgs(args);
  const result = await train(config);
  console.log(`trained ${result.steps} steps in ${result.seconds.toFixed(1)} s on ${result.backend.choice}; last model: ${result.lastModelDir}${result.bestModelDir ? `; best model: ${result.bestModelDir}` : ''}`);
  if (result.finalMetrics) printMetrics(result.finalMetrics);
  if (config.report) console.log(`report: ${path.join(result.outputDir, 'report.html')}`);
}
