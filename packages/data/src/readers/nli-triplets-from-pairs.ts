import { InputError } from '@sbert/core';
import type { InputExample } from '../input-example.js';
import { NLI_LABELS } from './nli-reader.js';

export interface NliTripletsFromPairsOptions {
  /** Label id of entailment. Default 0 ({@link NLI_LABELS}). */
  entailment?: number;
  /** Label id of contradiction. Default 2. */
  contradiction?: number;
}

/**
 * Regroups labelled NLI pairs into (anchor, entailment, contradiction) triplets: for every
 * premise that has at least one entailed and one contradicted hypothesis, one triplet per
 * distinct entailed hypothesis, the contradictions taken in turn (round-robin, in file order).
 *
 * This is the grouping of sentence-transformers' `training_nli_v2.py`, made deterministic
 * (that script picks the hypotheses at random). Premises are matched by exact text and
 * emitted in order of first appearance; neutral pairs are ignored. The input is held in
 * memory (grouping needs it); feed it `await new NliReader(file).toArray()`.
 */
export function nliTripletsFromPairs(pairs: Iterable<InputExample>, options: NliTripletsFromPairsOptions = {}): InputExample[] {
  const entailment = options.entailment ?? NLI_LABELS.indexOf('entailment');
  const contradiction = options.contradiction ?? NLI_LABELS.indexOf('contradiction');
  if (entailment === contradiction) throw new InputError('entailment and contradiction must be different label ids');
  const groups = new Map<string, { entailed: Set<string>; contradicted: Set<string> }>();
  let index = 0;
  for (const pair of pairs) {
    const [premise, hypothesis] = pair.texts;
    if (pair.texts.length !== 2 || premise === undefined || hypothesis === undefined || typeof pair.label !== 'number') {
      throw new InputError(`pair ${index} must have 2 texts and a numeric label, got ${pair.texts.length} texts and label ${String(pair.label)}`);
    }
    index++;
    if (pair.label !== entailment && pair.label !== contradiction) continue;
    let group = groups.get(premise);
    if (group === undefined) {
      group = { entailed: new Set(), contradicted: new Set() };
      groups.set(premise, group);
    }
    (pair.label === entailment ? group.entailed : group.contradicted).add(hypothesis);
  }
  const triplets: InputExample[] = [];
  for (const [premise, { entailed, contradicted }] of groups) {
    if (entailed.size === 0 || contradicted.size === 0) continue;
    const negatives = [...contradicted];
    let k = 0;
    for (const positive of entailed) {
      triplets.push({ texts: [premise, positive, negatives[k % negatives.length]!] });
      k++;
    }
  }
  return triplets;
}
