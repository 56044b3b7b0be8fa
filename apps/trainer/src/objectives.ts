/**
 * Turns the config's data and loss entries into records, loss instances and evaluators,
 * checking that columns and labels fit the loss before any training starts.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@sbert/core';
import * as data from '@sbert/data';
import type { InputExample } from '@sbert/data';
import * as evaluation from '@sbert/eval';
import * as losses from '@sbert/losses';
import type { Loss } from '@sbert/losses';
import type { DataConfig, EvaluatorConfig, ObjectiveConfig } from './config.js';

/** Records read from a data file, with the reader's counts. */
export interface LoadedData {
  records: InputExample[];
  stats: { lines: number; records: number; skipped: Record<string, number>; excluded: Record<string, number> };
}

export async function loadData(d: DataConfig): Promise<LoadedData> {
  const options = { onError: 'raise', ...(d.options ?? {}) } as Record<string, unknown>;
  let reader: data.RecordReader<InputExample>;
  switch (d.format) {
    case 'pairs':
      reader = new data.PairClassificationReader(d.path, options);
      break;
    case 'sts':
      reader = new data.StsReader(d.path, options);
      break;
    case 'nli':
      reader = new data.NliReader(d.path, options);
      break;
    case 'nli-triplets':
      reader = new data.NliTripletReader(d.path, options);
      break;
    case 'msmarco-triples':
      reader = new data.MsMarcoTriplesReader(d.path, options);
      break;
    case 'hard-negatives':
      reader = new data.HardNegativesReader(d.path, options);
      break;
    case 'generic':
      reader = new data.GenericReader(d.path, options as unknown as data.GenericReaderOptions);
      break;
  }
  const records: InputExample[] = [];
  for await (const r of reader) {
    records.push(r);
    if (d.limit !== undefined && records.length >= d.limit) break;
  }
  const s = reader.stats;
  return { records, stats: { lines: s.lines, records: records.length, skipped: { ...s.skipped } as Record<string, number>, excluded: { ...s.excluded } } };
}

const BUILT_IN: Record<string, new (options: never) => Loss> = {
  CoSENTLoss: losses.CoSENTLoss,
  AnglELoss: losses.AnglELoss,
  CosineSimilarityLoss: losses.CosineSimilarityLoss,
  SoftmaxLoss: losses.SoftmaxLoss,
  MultipleNegativesRankingLoss: losses.MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss: losses.MultipleNegativesSymmetricRankingLoss,
  MarginMSELoss: losses.MarginMSELoss,
  TripletLoss: losses.TripletLoss,
  ContrastiveLoss: losses.ContrastiveLoss,
  OnlineContrastiveLoss: losses.OnlineContrastiveLoss,
} as unknown as Record<string, new (options: never) => Loss>;
export const LOSS_NAMES = Object.keys(BUILT_IN);

function columnsFit(loss: Loss, n: number): boolean {
  const c = loss.textColumns;
  return typeof c === 'number' ? c === n : n >= c.min && (c.max === undefined || n <= c.max);
}

/**
 * Builds the loss of an objective: a built-in by name, or `file.js#Export` from the user's
 * module. SoftmaxLoss gets its embedding dimension from the model and its number of labels
 * from the data unless given.
 */
export async function makeLoss(objective: ObjectiveConfig, index: number, dim: number, records: InputExample[]): Promise<Loss> {
  const field = `objectives[${index}].loss`;
  const options: Record<string, unknown> = { ...(objective.lossOptions ?? {}) };
  let loss: Loss;
  if (objective.loss.includes('#') || objective.loss.endsWith('.js') || objective.loss.endsWith('.mjs')) {
    const [file, exportName = 'default'] = objective.loss.split('#');
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path.resolve(file!)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`option '${field}': cannot import ${file} (${(error as Error).message})`, { field });
    }
    const Ctor = mod[exportName];
    if (typeof Ctor !== 'function') throw new ConfigError(`option '${field}': ${file} has no exported class '${exportName}'`, { field });
    loss = new (Ctor as new (o: unknown) => Loss)(options);
    if (typeof loss.computeLossFromEmbeddings !== 'function' || loss.textColumns === undefined) {
      throw new ConfigError(`option '${field}': ${objective.loss} does not implement the Loss interface (name, textColumns, computeLossFromEmbeddings, trainableWeights, toConfig, dispose)`, { field });
    }
  } else {
    const Ctor = BUILT_IN[objective.loss];
    if (!Ctor) throw new ConfigError(`option '${field}': unknown loss '${objective.loss}'; expected one of ${LOSS_NAMES.join(', ')} or path/to/module.js#ExportName`, { field });
    if (objective.loss === 'SoftmaxLoss') {
      options['embeddingDimension'] ??= dim;
      options['numLabels'] ??= Math.max(...records.map((r) => (typeof r.label === 'number' ? r.label : 0))) + 1;
    }
    try {
      loss = new Ctor(options as never);
    } catch (error) {
      throw new ConfigError(`option 'objectives[${index}].lossOptions': ${(error as Error).message}`, { field: `objectives[${index}].lossOptions` });
    }
  }
  const n = records[0]?.texts.length ?? 0;
  if (!columnsFit(loss, n)) {
    const want = typeof loss.textColumns === 'number' ? `${loss.textColumns}` : `${loss.textColumns.min}${loss.textColumns.max === undefined ? '+' : `-${loss.textColumns.max}`}`;
    throw new ConfigError(`option '${field}': ${loss.name} takes ${want} text columns but ${objective.data.path} (${objective.data.format}) gives ${n}`, { field });
  }
  return loss;
}

/** Builds the evaluator over its data. */
export async function makeEvaluator(config: EvaluatorConfig): Promise<evaluation.SentenceEvaluator> {
  const { records } = await loadData(config.data);
  const name = config.name ?? path.basename(config.data.path).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9]+/g, '_');
  const col = (i: number): string[] => records.map((r) => r.texts[i] ?? '');
  const labels = records.map((r) => Number(r.label));
  switch (config.type) {
    case 'EmbeddingSimilarityEvaluator':
      return new evaluation.EmbeddingSimilarityEvaluator({ sentences1: col(0), sentences2: col(1), scores: labels, name });
    case 'BinaryClassificationEvaluator':
      return new evaluation.BinaryClassificationEvaluator({ sentences1: col(0), sentences2: col(1), labels, name });
    case 'TripletEvaluator':
      return new evaluation.TripletEvaluator({ anchors: col(0), positives: col(1), negatives: col(2), name });
  }
}
