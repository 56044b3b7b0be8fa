#!/usr/bin/env node
// Proves that each library, packed as it would be published, installs into an empty directory
// outside the repository with only its declared dependencies, imports, and that the installed
// @sbert/core embeds sentences there. Run by `pnpm test` (and so by CI).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const libs = ['core', 'losses', 'data', 'eval'];
const work = mkdtempSync(path.join(tmpdir(), 'sbert-pack-check-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const tarballs = {};
  for (const lib of libs) {
    const dir = path.join(root, 'packages', lib);
    run('pnpm', ['pack', '--pack-destination', work], dir);
    const name = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
    const file = readdirSync(work).find((f) => f.startsWith(`sbert-${lib}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack produced no tarball for ${name}`);
    tarballs[lib] = path.join(work, file);
  }
  const fixture = path.join(root, 'tools/parity/fixtures/core/models/tiny-mean');
  for (const lib of libs) {
    const app = path.join(work, `app-${lib}`);
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: `check-${lib}`, private: true, type: 'module' }));
    // Only the library and, for the others, the @sbert/core tarball their declared dependency needs.
    const install = lib === 'core' ? [tarballs.core] : [tarballs.core, tarballs[lib]];
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...install], app);
    const script = lib === 'core'
      ? `import { SentenceTransformer, backendInfo } from '@sbert/core';
         const model = await SentenceTransformer.load(${JSON.stringify(fixture)});
         const rows = await model.encode(['packed and installed', '打包后安装']);
         if (rows.length !== 2 || rows[0].length !== model.getSentenceEmbeddingDimension() || !rows.flatMap((r) => [...r]).every(Number.isFinite)) throw new Error('bad embeddings');
         model.dispose();
         console.log('@sbert/core: embedded 2 sentences, dim ' + rows[0].length + ' on ' + backendInfo().choice);`
      : `const m = await import('@sbert/${lib}');
         const names = Object.keys(m);
         if (names.length === 0) throw new Error('@sbert/${lib} exports nothing');
         console.log('@sbert/${lib}: imported ' + names.length + ' exports');`;
    writeFileSync(path.join(app, 'check.mjs'), script);
    process.stdout.write(run('node', ['check.mjs'], app));
  }
  console.log(`pack-check: ${libs.length} passed, 0 failed`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
