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
const lcqmc = path.join(root, 'apps/trainer/data/chinese-sts-b/STS-B.valid.data');
// One real use of each library, run from the installed tarballs.
const CHECKS = {
  losses: `import { initBackend, tf } from '@sbert/core';
    await initBackend();
    import { CoSENTLoss } from '@sbert/losses';
    const a = tf.tensor2d([[1, 0], [0, 1]]), b = tf.tensor2d([[1, 0], [1, 0]]);
    // cos = (1, 0) with labels (0, 1): the wrongly ordered pair costs log(1 + e^20).
    const v = new CoSENTLoss().computeLossFromEmbeddings([a, b], tf.tensor1d([0, 1])).dataSync()[0];
    if (Math.abs(v - Math.log1p(Math.exp(20))) > 1e-4) throw new Error('CoSENTLoss ' + v);
    console.log('@sbert/losses: CoSENTLoss = ' + v.toFixed(6));`,
  data: `import { collect, StsReader } from '@sbert/data';
    const records = await collect(new StsReader(${JSON.stringify(lcqmc)}));
    if (records.length !== 1458) throw new Error('expected 1458 records, got ' + records.length);
    console.log('@sbert/data: read ' + records.length + ' STS-B records');`,
  eval: `import { spearman } from '@sbert/eval';
    const r = spearman([1, 2, 3, 4], [1, 3, 2, 4]);
    if (Math.abs(r - 0.8) > 1e-12) throw new Error('spearman ' + r);
    console.log('@sbert/eval: spearman = ' + r);`,
};
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
      : CHECKS[lib];
    writeFileSync(path.join(app, 'check.mjs'), script);
    process.stdout.write(run('node', ['check.mjs'], app));
  }
  console.log(`pack-check: ${libs.length} passed, 0 failed`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
