import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const coreFixtures = path.join(repoRoot, 'tools/parity/fixtures/core');
export const tinyVocab = path.join(coreFixtures, 'tiny-vocab');
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data');
