/**
 * Fast community detection with sentence-transformers' semantics
 * (sentence_transformers/util/retrieval.py `community_detection`, CPU branch).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors.js';
import { l2Normalize } from '../modules/normalize.js';
import { ProgressBar } from '../progress.js';
import { toMatrix, type EmbeddingsLike } from '../similarity.js';

export interface CommunityDetectionOptions {
  /** Cosine similarity a member needs to the centre. Default 0.75. */
  threshold?: number;
  /** Communities smaller than this are dropped. Default 10. */
  minCommunitySize?: number;
  /** Rows of the similarity matrix computed at once ((batchSize, N) floats). Default 1024. */
  batchSize?: number;
  /** Draw a progress bar on stderr. */
  showProgress?: boolean;
}

function isEmpty(x: EmbeddingsLike): boolean {
  if (x instanceof tf.Tensor) return x.rank === 2 ? x.shape[0] === 0 : x.size === 0;
  return x.length === 0;
}

/**
 * community_detection: groups embeddings whose cosine similarity to a central point is at least
 * `threshold`.
 *
 * 1. Embeddings are L2-normalised; cosine scores are computed `batchSize` rows at a time.
 * 2. Every row with at least `minCommunitySize` scores ≥ threshold (itself included) proposes a
 *    community: every index with score ≥ threshold, by score descending (ties: lower index
 *    first). The threshold is compared in float32, as torch compares a float32 tensor.
 * 3. Proposals are taken largest first (stable, so by centre index among equal sizes). A
 *    proposal whose centre is already claimed is skipped; otherwise its unclaimed members form a
 *    community if there are still at least `minCommunitySize` of them, listed as
 *    `[centre, ...other members]`, and they become claimed.
 * 4. The communities are returned largest first; the first index of each is its centre.
 *
 * Fewer than `minCommunitySize` embeddings (or none) give []. Reference: Python's
 * `sentence_transformers.util.community_detection` (its CPU loop: growing `sort_max_size` until
 * the last value falls below the threshold collects exactly the indices above it).
 *
 * ```ts
 * communityDetection(embeddings, { threshold: 0.8, minCommunitySize: 2 }); // [[4, 0, 7], [2, 5]]
 * ```
 */
export function communityDetection(embeddings: EmbeddingsLike, options: CommunityDetectionOptions = {}): number[][] {
  const threshold = options.threshold ?? 0.75;
  const minSize = options.minCommunitySize ?? 10;
  const batchSize = options.batchSize ?? 1024;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new InputError(`threshold must be a finite number, got ${threshold}`);
  if (!Number.isInteger(minSize) || minSize < 1) throw new InputError(`minCommunitySize must be a positive integer, got ${minSize}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
  if (isEmpty(embeddings)) return [];

  const E = toMatrix(embeddings, 'embeddings');
  const n = E.shape[0];
  if (n < minSize) {
    E.dispose();
    return [];
  }
  // torch.tensor(threshold) is float32: compare against the float32 value of the threshold.
  const thr = Math.fround(threshold);
  const normed = l2Normalize(E); // (N, D)
  E.dispose();
  const proposals: { centre: number; members: number[] }[] = [];
  const bar = options.showProgress ? new ProgressBar(n, 'communities ') : undefined;
  try {
    for (let start = 0; start < n; start += batchSize) {
      const rows = Math.min(batchSize, n - start);
      // (rows, N) cosine scores of this batch against every embedding.
      const scores = tf.tidy(() => tf.matMul(normed.slice([start, 0], [rows, -1]), normed, false, true).dataSync() as Float32Array);
      for (let r = 0; r < rows; r++) {
        const row = scores.subarray(r * n, (r + 1) * n);
        let count = 0;
        for (let j = 0; j < n; j++) if (row[j]! >= thr) count++;
        if (count < minSize) continue;
        const members: number[] = [];
        for (let j = 0; j < n; j++) if (row[j]! >= thr) members.push(j);
        members.sort((a, b) => row[b]! - row[a]! || a - b);
        proposals.push({ centre: start + r, members });
      }
      bar?.tick(rows);
    }
  } finally {
    normed.dispose();
    bar?.finish();
  }

  // Largest first; Array.prototype.sort is stable, like Python's sorted.
  proposals.sort((a, b) => b.members.length - a.members.length);
  const used = new Uint8Array(n);
  const communities: number[][] = [];
  for (const { centre, members } of proposals) {
    if (used[centre]) continue;
    const free = members.filter((j) => !used[j]);
    if (free.length < minSize) continue;
    const community = [centre, ...free.filter((j) => j !== centre)];
    for (const j of community) used[j] = 1;
    communities.push(community);
  }
  return communities.sort((a, b) => b.length - a.length);
}
