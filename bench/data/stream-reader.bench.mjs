// Streams a generated ~1 GiB LCQMC-style TSV through @sbert/data's PairClassificationReader
// and records lines/s and peak RSS. The readers must run in constant memory: the check is
// peak RSS < 200 MB for the whole process (TensorFlow.js, loaded by @sbert/core, included).
//
//   cd packages/data && pnpm build && pnpm bench          # or: node bench/data/stream-reader.bench.mjs
//   node bench/data/stream-reader.bench.mjs --size-mb=64  # a quick run (not recorded)
//
// Writes bench/data/results/<YYYY-MM-DD>-stream-reader.json (full-size runs only) and deletes
// the generated file afterwards. Not a unit test.

import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const RSS_LIMIT_BYTES = 200_000_000; // 200 MB
const MiB = 1024 * 1024;

const sizeArg = process.argv.find((a) => a.startsWith('--size-mb='));
const targetBytes = (sizeArg ? Number(sizeArg.split('=')[1]) : 1024) * MiB;
const fullSize = targetBytes >= 1024 * MiB;

const { PairClassificationReader } = await import(path.join(repoRoot, 'packages', 'data', 'dist', 'index.js'));

/** Writes `targetBytes` of real LCQMC dev lines, repeated, cut at a line boundary. */
async function generate(file) {
  const source = path.resolve(repoRoot, '..', 'shared', 'data', 'lcqmc', 'dev.txt');
  const block = readFileSync(source, 'utf8').repeat(6); // ~4 MB of whole lines
  const blockBytes = Buffer.byteLength(block);
  const blockLines = block.split('\n').length - 1;
  const out = createWriteStream(file);
  let bytes = 0;
  let lines = 0;
  while (bytes + blockBytes <= targetBytes) {
    if (!out.write(block)) await once(out, 'drain');
    bytes += blockBytes;
    lines += blockLines;
  }
  // The remainder: whole lines only, so every line of the file is a valid record.
  const rest = Buffer.from(block).subarray(0, targetBytes - bytes);
  const cut = rest.lastIndexOf(0x0a) + 1;
  out.write(rest.subarray(0, cut));
  bytes += cut;
  lines += rest.subarray(0, cut).toString('utf8').split('\n').length - 1;
  out.end();
  await once(out, 'finish');
  return { bytes, lines };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'sbert-bench-'));
const file = path.join(dir, 'pairs.tsv');
try {
  const t0 = performance.now();
  const generated = await generate(file);
  const generateSeconds = (performance.now() - t0) / 1000;
  console.log(`generated ${(generated.bytes / MiB).toFixed(0)} MiB, ${generated.lines} lines in ${generateSeconds.toFixed(1)} s`);

  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);

  const reader = new PairClassificationReader(file);
  let records = 0;
  let ones = 0;
  const t1 = performance.now();
  for await (const example of reader) {
    records++;
    if (example.label === 1) ones++;
    if ((records & 0xfffff) === 0) {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      const s = (performance.now() - t1) / 1000;
      process.stdout.write(`\r${records} records, ${(records / s).toFixed(0)} lines/s, rss ${(m.rss / MiB).toFixed(0)} MiB   `);
    }
  }
  const seconds = (performance.now() - t1) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  process.stdout.write('\n');

  if (records !== generated.lines) throw new Error(`read ${records} records but wrote ${generated.lines} lines`);
  const result = {
    benchmark: 'stream-reader',
    description: 'PairClassificationReader (fast-csv TSV, UTF-8 validation, line tracking) over a generated LCQMC-style TSV',
    date: new Date().toISOString(),
    command: `node bench/data/stream-reader.bench.mjs${sizeArg ? ` ${sizeArg}` : ''}`,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryBytes: os.totalmem(),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      note: 'shared machine; other jobs may have been running',
    },
    input: { bytes: generated.bytes, lines: generated.lines, source: 'shared/data/lcqmc/dev.txt repeated' },
    records,
    labelOnes: ones,
    seconds: Number(seconds.toFixed(2)),
    linesPerSecond: Math.round(records / seconds),
    megabytesPerSecond: Number((generated.bytes / MiB / seconds).toFixed(2)),
    rss: {
      beforeReadingBytes: rssBefore,
      peakBytes: peakRss,
      peakMiB: Number((peakRss / MiB).toFixed(1)),
      limitBytes: RSS_LIMIT_BYTES,
      underLimit: peakRss < RSS_LIMIT_BYTES,
      processMaxRssBytes: process.resourceUsage().maxRSS * 1024,
    },
    peakHeapUsedBytes: peakHeap,
    stats: reader.stats,
  };
  console.log(JSON.stringify(result, null, 2));
  if (fullSize) {
    const resultsDir = path.join(here, 'results');
    mkdirSync(resultsDir, { recursive: true });
    const out = path.join(resultsDir, `${result.date.slice(0, 10)}-stream-reader.json`);
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(repoRoot, out)}`);
  }
  if (!result.rss.underLimit) {
    console.error(`peak RSS ${result.rss.peakMiB} MiB is over the 200 MB limit`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  try {
    statSync(file);
    console.error(`could not delete ${file}`);
  } catch {
    // deleted
  }
}
