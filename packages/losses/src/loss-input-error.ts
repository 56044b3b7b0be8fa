import { SbertError } from '@sbert/core';

/**
 * A loss received inputs it cannot use: the wrong number of text columns, mis-shaped
 * embeddings, missing or mis-shaped labels, or label values out of range. The message starts
 * with what the loss expects, then says what it got, e.g.
 *
 * `CoSENTLoss expects 2 text columns ((sentence_A, sentence_B) pairs) and labels: one float
 * similarity score per pair, shape [B]; got 3 embedding matrices.`
 */
export class LossInputError extends SbertError {
  /** The loss's `name`, e.g. `CoSENTLoss`. */
  readonly loss: string;
  /** Which input was wrong. */
  readonly field: 'embeddings' | 'labels';

  constructor(loss: string, field: 'embeddings' | 'labels', message: string, options?: { cause?: unknown }) {
    super('E_LOSS_INPUT', message, options);
    this.loss = loss;
    this.field = field;
  }
}
