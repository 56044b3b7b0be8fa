import { CheckpointError } from '../errors.js';

/**
 * Checks stored tensors against expected names and shapes; throws one CheckpointError listing
 * every missing, unexpected and mis-shaped tensor.
 */
export function checkTensors(
  file: string,
  stored: Map<string, { shape: number[]; dtype: string }>,
  expected: Record<string, number[]>,
  ignorable: (name: string) => boolean = () => false,
): void {
  const missing = Object.keys(expected).filter((n) => !stored.has(n));
  const unexpected = [...stored.keys()].filter((n) => !(n in expected) && !ignorable(n));
  const mismatched = Object.entries(expected)
    .filter(([n, shape]) => stored.has(n) && stored.get(n)!.shape.join(',') !== shape.join(','))
    .map(([name, shape]) => ({ name, expected: shape, actual: stored.get(name)!.shape }));
  const bad = [...Object.keys(expected)].filter((n) => stored.has(n) && !stored.get(n)!.dtype.startsWith('F') && !stored.get(n)!.dtype.startsWith('BF'));
  if (missing.length || unexpected.length || mismatched.length || bad.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected: ${unexpected.join(', ')}`);
    if (mismatched.length) parts.push(`mis-shaped: ${mismatched.map((m) => `${m.name} expected [${m.expected.join(', ')}] got [${m.actual.join(', ')}]`).join('; ')}`);
    if (bad.length) parts.push(`not floating point: ${bad.map((n) => `${n} (${stored.get(n)!.dtype})`).join(', ')}`);
    throw new CheckpointError(`${file}: weights do not fit the model config (${parts.join('; ')})`, file, { missing, unexpected, mismatched });
  }
}
