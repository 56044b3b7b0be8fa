import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigError, SentenceTransformer } from '@sbert/core';
import { DATA_FORMATS, EVALUATOR_TYPES, type DataFormat, type EvaluatorType } from '../config.js';
import { printMetrics } from '../metrics-table.js';
import { makeEvaluator } from '../objectives.js';

export const EVALUATE_HELP = `sbert-trainer evaluate --model DIR --data FILE --format F [--evaluator T] [--data-options JSON] [--name NAME] [--backend B]

Evaluates a model directory on a data file and prints a table of metrics.
  --format     ${DATA_FORMATS.join(' | ')}
  --evaluator  ${EVALUATOR_TYPES.join(' | ')} (default EmbeddingSimilarityEvaluator)`;

export async function evaluateCommand(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(EVALUATE_HELP);
    return;
  }
  const { values } = parseArgs({
    args,
    options: { model: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' }, evaluator: { type: 'string' }, 'data-options': { type: 'string' }, name: { type: 'string' }, backend: { type: 'string' } },
  });
  for (const k of ['model', 'data', 'format'] as const) if (!values[k]) throw new ConfigError(`option '${k}' is required; see 'sbert-trainer evaluate --help'`, { field: k });
  const evaluator = await makeEvaluator({
    type: (values.evaluator ?? 'EmbeddingSimilarityEvaluator') as EvaluatorType,
    data: { path: path.resolve(values.data!), format: values.format as DataFormat, options: values['data-options'] ? (JSON.parse(values['data-options']) as Record<string, unknown>) : {} },
    ...(values.name ? { name: values.name } : {}),
  });
  const model = await SentenceTransformer.load(path.resolve(values.model!), values.backend ? { backend: values.backend as 'wasm' } : {});
  try {
    printMetrics(await evaluator.evaluate(model));
  } finally {
    model.dispose();
  }
}
