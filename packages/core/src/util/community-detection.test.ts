import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { repoRoot } from '../test-utils/paths.js';
import { communityDetection } from './community-detection.js';

interface CommunityFixture {
  community_detection: {
    name: string;
    embeddings: number[][];
    runs: { threshold: number; min_community_size: number; batch_size: number; communities: number[][] }[];
  }[];
}

const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'tools/parity/fixtures/embedder/util.json'), 'utf8')) as CommunityFixture;

function unit(deg: number): number[] {
  const r = (deg * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

describe('communityDetection', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  for (const c of fixture.community_detection) {
    it(`equals sentence-transformers on the '${c.name}' fixture`, () => {
      for (const run of c.runs) {
        const got = communityDetection(c.embeddings, { threshold: run.threshold, minCommunitySize: run.min_community_size, batchSize: run.batch_size });
        expect(got, `threshold ${run.threshold}, min ${run.min_community_size}`).toEqual(run.communities);
      }
    });
  }

  it('groups unit vectors by angle, as worked out by hand', () => {
    // cos(Δ) ≥ cos(25°) ⟺ |Δ| ≤ 25°. Rows propose: 0°→[0,1,2], 10°→[1,0,2,3], 22°→[2,3,1,0],
    // 30°→[3,2,1], 85°→[4,5,6], 95°→[5,6,4], 101°→[6,5,4], 200°→[7] (too small). The first
    // size-4 proposal (centre 1) claims 0..3; centre 4 then claims 4..6.
    const angles = [0, 10, 22, 30, 85, 95, 101, 200];
    const emb = angles.map(unit);
    const threshold = Math.cos((25 * Math.PI) / 180);
    expect(communityDetection(emb, { threshold, minCommunitySize: 2 })).toEqual([[1, 0, 2, 3], [4, 5, 6]]);
    expect(communityDetection(emb, { threshold, minCommunitySize: 4 })).toEqual([[1, 0, 2, 3]]);
    expect(communityDetection(emb, { threshold, minCommunitySize: 5 })).toEqual([]);
    // Scaling rows does not matter (embeddings are normalised); batch size does not either.
    const scaled = emb.map((v, i) => v.map((x) => x * (i + 1) * 3));
    expect(communityDetection(scaled, { threshold, minCommunitySize: 2, batchSize: 3 })).toEqual([[1, 0, 2, 3], [4, 5, 6]]);
  });

  it('drops a proposal when claimed members leave it too small, and keeps it when enough remain', () => {
    // Two groups bridged by 40°: centre 40° reaches 20..60 (5 members) and is taken first;
    // the 0° row then keeps only 0° and 10° free.
    const emb = [0, 10, 20, 30, 40, 50, 60].map(unit);
    const threshold = Math.cos((20.5 * Math.PI) / 180);
    // Proposals: 0→[0,1,2] 10→[1,0,2,3] 20→[2,1,3,0,4] 30→[3,2,4,1,5] 40→[4,3,5,2,6]
    // 50→[5,4,6,3] 60→[6,5,4]; centre 2 (first of size 5) claims 2,1,3,0,4.
    expect(communityDetection(emb, { threshold, minCommunitySize: 2 })).toEqual([[2, 1, 3, 0, 4], [5, 6]]);
    expect(communityDetection(emb, { threshold, minCommunitySize: 3 })).toEqual([[2, 1, 3, 0, 4]]);
  });

  it('accepts a tensor, leaves it alive and leaks no tensors', () => {
    const emb = tf.tensor2d([0, 10, 22, 30, 85, 95, 101, 200].flatMap(unit), [8, 2]);
    const before = tf.memory().numTensors;
    const got = communityDetection(emb, { threshold: Math.cos((25 * Math.PI) / 180), minCommunitySize: 2 });
    expect(got).toEqual([[1, 0, 2, 3], [4, 5, 6]]);
    expect(tf.memory().numTensors).toBe(before);
    expect(emb.isDisposed).toBe(false);
    emb.dispose();
  });

  it('returns [] for no embeddings or fewer than minCommunitySize, and rejects bad options', () => {
    expect(communityDetection([])).toEqual([]);
    expect(communityDetection([[1, 0], [1, 0]])).toEqual([]);
    expect(communityDetection([[1, 0]], { minCommunitySize: 1 })).toEqual([[0]]);
    expect(() => communityDetection([[1, 0]], { minCommunitySize: 0 })).toThrow(new InputError('minCommunitySize must be a positive integer, got 0'));
    expect(() => communityDetection([[1, 0]], { batchSize: 1.5 })).toThrow('batchSize must be a positive integer, got 1.5');
    expect(() => communityDetection([[1, 0]], { threshold: Number.NaN })).toThrow('threshold must be a finite number, got NaN');
  });
});
