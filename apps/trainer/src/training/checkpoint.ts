/**
 * Resumable checkpoints: `<outputDir>/checkpoint/` holds the model (sentence-transformers
 * format), each objective's optimizer moments and loss weights (safetensors) and state.json
 * (step, epoch, position in the epoch, histories). The whole folder is replaced atomically, so
 * a kill during a save leaves the previous checkpoint intact.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { readSafetensors, tf, writeDirAtomic, writeSafetensors, type NamedWeight, type SentenceTransformer } from '@sbert/core';
import type { AdamW, AdamWState } from './adamw.js';

export interface TrainerState {
  step: number;
  epoch: number;
  /** Batches of the current epoch already consumed, per objective. */
  position: number;
  losses: number[];
  evaluations: { step: number; epoch: number; metrics: Record<string, number> }[];
  bestScore: number | null;
  seed: number;
}

export const CHECKPOINT_DIR = 'checkpoint';

export async function saveCheckpoint(outputDir: string, model: SentenceTransformer, optimizers: AdamW[], lossWeights: NamedWeight[][], state: TrainerState): Promise<void> {
  await writeDirAtomic(path.join(outputDir, CHECKPOINT_DIR), async (tmp) => {
    await model.save(path.join(tmp, 'model'));
    for (const [i, opt] of optimizers.entries()) {
      const s = opt.getState();
      const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, data] of Object.entries(s.m)) tensors[`m.${name}`] = { shape: [data.length], data };
      for (const [name, data] of Object.entries(s.v)) tensors[`v.${name}`] = { shape: [data.length], data };
      await writeSafetensors(path.join(tmp, `optimizer-${i}.safetensors`), tensors);
      const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const w of lossWeights[i] ?? []) weights[w.name] = { shape: w.variable.shape, data: w.variable.dataSync() as Float32Array };
      if (Object.keys(weights).length) await writeSafetensors(path.join(tmp, `loss-${i}.safetensors`), weights);
    }
    await fs.writeFile(path.join(tmp, 'state.json'), JSON.stringify(state));
  });
}

export function hasCheckpoint(outputDir: string): boolean {
  return existsSync(path.join(outputDir, CHECKPOINT_DIR, 'state.json'));
}

export async function readState(outputDir: string): Promise<TrainerState> {
  return JSON.parse(await fs.readFile(path.join(outputDir, CHECKPOINT_DIR, 'state.json'), 'utf8')) as TrainerState;
}

/** Restores optimizer moments and loss weights (the model is loaded from checkpoint/model). */
export async function restoreCheckpoint(outputDir: string, optimizers: AdamW[], lossWeights: NamedWeight[][], step: number): Promise<void> {
  const dir = path.join(outputDir, CHECKPOINT_DIR);
  for (const [i, opt] of optimizers.entries()) {
    const file = path.join(dir, `optimizer-${i}.safetensors`);
    const stored = await readSafetensors(file);
    // Every objective's optimizer takes one update per trainer step.
    const state: AdamWState = { step, m: {}, v: {} };
    for (const [key, t] of stored) {
      const [kind, ...rest] = key.split('.');
      (kind === 'm' ? state.m : state.v)[rest.join('.')] = t.data as Float32Array;
    }
    opt.setState(state);
    if ((lossWeights[i] ?? []).length) {
      const weights = await readSafetensors(path.join(dir, `loss-${i}.safetensors`));
      for (const w of lossWeights[i]!) {
        const t = weights.get(w.name);
        if (!t) throw new Error(`checkpoint has no loss weight '${w.name}'`);
        tf.tidy(() => w.variable.assign(tf.tensor(t.data as Float32Array, w.variable.shape)));
      }
    }
  }
}
