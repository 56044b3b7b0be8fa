import { existsSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigError, SentenceTransformer, tf } from '@sbert/core';
import { collect, GenericReader } from '@sbert/data';
import { SoftmaxLoss } from '@sbert/losses';

export const PREDICT_HELP = `sbert-trainer predict --model DIR (--pairs FILE | --s1 TEXT --s2 TEXT) [--classifier DIR] [--label-names a,b,...]

Predicts labels and probabilities of sentence pairs with a two-sentence classifier trained with
SoftmaxLoss. The classifier is the loss-*-SoftmaxLoss folder saved beside the model (found
automatically) or --classifier DIR. --pairs reads s1<TAB>s2[<TAB>label] lines.`;

export interface Prediction {
  s1: string;
  s2: string;
  label: number;
  labelName?: string;
  probabilities: number[];
}

/** Finds the SoftmaxLoss classifier saved beside a trained model. */
export function findClassifier(modelDir: string): string {
  const found = readdirSync(modelDir).find((f) => /^loss-\d+-SoftmaxLoss$/.test(f));
  if (!found) throw new ConfigError(`${modelDir}: no SoftmaxLoss classifier (loss-N-SoftmaxLoss/) beside the model; pass --classifier DIR`, { field: 'classifier' });
  return path.join(modelDir, found);
}

/** Labels and probabilities of pairs, through the model and the classifier. */
export async function predictPairs(model: SentenceTransformer, classifier: SoftmaxLoss, pairs: [string, string][], labelNames?: string[]): Promise<Prediction[]> {
  if (pairs.length === 0) return [];
  const u = await model.encode(pairs.map((p) => p[0]));
  const v = await model.encode(pairs.map((p) => p[1]));
  const probs = tf.tidy(() => classifier.predict(tf.tensor2d(u.map((r) => Array.from(r))), tf.tensor2d(v.map((r) => Array.from(r)))).arraySync() as number[][]);
  return pairs.map(([s1, s2], i) => {
    const p = probs[i]!;
    const label = p.indexOf(Math.max(...p));
    return { s1, s2, label, ...(labelNames?.[label] ? { labelName: labelNames[label] } : {}), probabilities: p };
  });
}

export async function predictCommand(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(PREDICT_HELP);
    return;
  }
  const { values } = parseArgs({ args, options: { model: { type: 'string' }, classifier: { type: 'string' }, pairs: { type: 'string' }, s1: { type: 'string' }, s2: { type: 'string' }, 'label-names': { type: 'string' }, backend: { type: 'string' } } });
  if (!values.model) throw new ConfigError("option 'model' is required; see 'sbert-trainer predict --help'", { field: 'model' });
  const modelDir = path.resolve(values.model);
  if (!existsSync(modelDir)) throw new ConfigError(`option 'model': directory ${modelDir} not found`, { field: 'model' });
  let pairs: [string, string][];
  if (values.pairs) {
    const records = await collect(new GenericReader(path.resolve(values.pairs), { format: 'tsv', header: false, texts: [0, 1], onError: 'raise' }));
    pairs = records.map((r) => [r.texts[0]!, r.texts[1]!]);
  } else if (values.s1 !== undefined && values.s2 !== undefined) pairs = [[values.s1, values.s2]];
  else throw new ConfigError("give --pairs FILE or both --s1 and --s2", { field: 'pairs' });
  const model = await SentenceTransformer.load(modelDir, values.backend ? { backend: values.backend as 'wasm' } : {});
  const classifier = await SoftmaxLoss.load(values.classifier ? path.resolve(values.classifier) : findClassifier(modelDir));
  try {
    const names = values['label-names']?.split(',');
    for (const p of await predictPairs(model, classifier, pairs, names)) {
      console.log(JSON.stringify({ s1: p.s1, s2: p.s2, label: p.label, ...(p.labelName ? { label_name: p.labelName } : {}), probabilities: p.probabilities.map((x) => Number(x.toFixed(6))) }));
    }
  } finally {
    model.dispose();
    classifier.dispose();
  }
}
