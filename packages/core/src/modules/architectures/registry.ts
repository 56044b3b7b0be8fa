/**
 * The supported encoder architectures, keyed by config.json's `model_type`.
 */
import { ConfigError } from '../../errors.js';
import type { JsonObject } from '../../serialization/json.js';
import type { Architecture, ModelType, TransformerConfig } from './architecture.js';
import { BERT, ROBERTA, XLM_ROBERTA } from './bert.js';
import { DISTILBERT } from './distilbert.js';
import { MPNET } from './mpnet.js';

export const ARCHITECTURES: Readonly<Record<ModelType, Architecture>> = {
  bert: BERT,
  distilbert: DISTILBERT,
  roberta: ROBERTA,
  'xlm-roberta': XLM_ROBERTA,
  mpnet: MPNET,
};

/** The architecture of a model_type (absent: BERT, as in Google's bert_config.json). */
export function architectureFor(modelType: unknown, file = 'config.json'): Architecture {
  const key = modelType === undefined || modelType === null ? 'bert' : String(modelType);
  const arch = (ARCHITECTURES as Record<string, Architecture>)[key];
  if (!arch) {
    throw new ConfigError(`${file}: model_type '${key}' is not supported; supported: ${Object.keys(ARCHITECTURES).join(', ')}`, { file, field: 'model_type' });
  }
  return arch;
}

/** Parses and checks a Hugging Face config.json of any supported architecture. */
export function parseTransformerConfig(raw: JsonObject, file = 'config.json'): TransformerConfig {
  return architectureFor(raw['model_type'], file).parseConfig(raw, file);
}
