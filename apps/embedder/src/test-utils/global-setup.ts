/**
 * Builds dist/ once before the tests: worker threads load the compiled encode worker, and the
 * process tests run dist/bin.js like a user would.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { appDir } from './helpers.js';

export default function setup(): void {
  const require = createRequire(import.meta.url);
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: appDir, stdio: 'inherit' });
}
