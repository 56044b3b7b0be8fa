/**
 * One training or evaluation example: the record shape every reader in this package yields.
 *
 * It mirrors sentence-transformers' column semantics (and its legacy `InputExample`): the
 * `texts` are the non-label columns, passed **in order** to the loss (e.g. `[anchor, positive,
 * negative]`, `[sentence1, sentence2]`); `label` is the `label` / `score` column, absent for
 * label-free layouts such as (anchor, positive, negative) triplets.
 *
 * - pair classification: `{ texts: [s1, s2], label: 0 | 1 }`
 * - STS: `{ texts: [s1, s2], label: score }` (0–5, or 0–1 when normalised)
 * - NLI pairs: `{ texts: [premise, hypothesis], label: classId }`
 * - triplets: `{ texts: [anchor, positive, negative] }`
 * - MarginMSE: `{ texts: [query, positive, neg1..negK], label: [posScore, negScore1..K] }`
 */
export interface InputExample {
  /** The text columns, in loss-input order. */
  texts: string[];
  /** A class id, a similarity score, or (MarginMSE) a vector of teacher scores or margins. */
  label?: number | number[];
  /** Optional identifier carried through from the source file (e.g. `qid-pid`). */
  id?: string;
}
