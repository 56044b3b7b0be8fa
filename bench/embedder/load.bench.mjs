// Load and abuse benchmark for the embedder's HTTP server, on loopback only.
//
// Starts `sbert-embedder serve` (apps/embedder/dist/bin.js) as a child process with a search
// corpus, then runs CLIENTS concurrent clients for DURATION seconds (or MAX_REQUESTS requests,
// whichever comes first). Each client sends, back to back: /v1/embeddings with 1-8 texts (80%),
// /v1/similarity (8%), /v1/search (7%), and abusive requests (5%: malformed JSON, wrong types,
// a 6 MiB body, invalid UTF-8, empty input, empty array), each of which must get its exact 4xx.
// A warm-up phase under the same load comes first (WARMUP seconds, reported separately: the
// first model calls for each new (batch, sequence length) shape are slow). Then it records
// p50/p90/p99 latency, throughput, unexpected responses ("errors"), and the server's RSS every
// second plus its peak (VmHWM), and checks the server is still healthy and exits 0 on SIGTERM.
//
//   cd apps/embedder && pnpm build && pnpm bench
//   node bench/embedder/load.bench.mjs --models=tiny --duration=10     # quick run (not recorded)
//
// Options: --models=tiny,minilm (minilm is skipped when .cache/models/all-MiniLM-L6-v2 is
// missing), --duration=60, --warmup=10, --clients=50, --max-requests=1000000, --backend=auto.
// Writes bench/embedder/results/<YYYY-MM-DD>-load.json for full runs (duration >= 60 s).
// Exits 1 if any request got an unexpected response. Not a unit test.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const bin = path.join(repoRoot, 'apps', 'embedder', 'dist', 'bin.js');
const MODELS = {
  tiny: path.join(repoRoot, 'tools', 'parity', 'fixtures', 'core', 'models', 'tiny-mean'),
  minilm: path.join(repoRoot, '.cache', 'models', 'all-MiniLM-L6-v2'),
};

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const DURATION_S = Number(arg('duration', '60'));
const WARMUP_S = Number(arg('warmup', '10'));
const CLIENTS = Number(arg('clients', '50'));
const MAX_REQUESTS = Number(arg('max-requests', '1000000'));
const BACKEND = arg('backend', 'auto');
const models = arg('models', 'tiny,minilm').split(',').filter((m) => {
  if (!MODELS[m]) throw new Error(`unknown model '${m}'; expected ${Object.keys(MODELS).join(', ')}`);
  return m === 'tiny' || existsSync(path.join(MODELS[m], 'model.safetensors'));
});
if (!existsSync(bin)) throw new Error(`${bin} is missing; run \`pnpm build\` in apps/embedder first`);

/** English sentences from STS-B (shared data) when present, else generated ones. */
function loadSentences() {
  const sts = path.resolve(repoRoot, '..', 'shared', 'data', 'english-sts-b', 'stsbenchmark.tsv.gz');
  if (existsSync(sts)) {
    const rows = gunzipSync(readFileSync(sts)).toString('utf8').split(/\r?\n/).slice(1).filter(Boolean);
    return { source: 'shared/data/english-sts-b/stsbenchmark.tsv.gz', texts: [...new Set(rows.flatMap((r) => r.split('\t').slice(6, 8)))] };
  }
  const words = 'the a cat dog sat on mat ran fast slow red blue house car tree river man woman eats food plays music'.split(' ');
  return { source: 'generated', texts: Array.from({ length: 5000 }, (_, i) => Array.from({ length: 3 + (i % 12) }, (_, k) => words[(i * 7 + k * 13) % words.length]).join(' ')) };
}

let seed = 12345;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = (arr) => arr[Math.floor(rand() * arr.length)];

const JSON_HEADERS = { 'content-type': 'application/json' };
/** Abusive requests and the exact status each must get. */
const ABUSE = [
  { name: 'malformed-json', status: 400, body: '{"input": ["a", ' },
  { name: 'wrong-type', status: 400, body: JSON.stringify({ input: 42 }) },
  { name: 'token-array', status: 400, body: JSON.stringify({ input: [101, 102] }) },
  { name: 'huge-body', status: 413, body: JSON.stringify({ input: 'x'.repeat(6 * 1024 * 1024) }) },
  { name: 'invalid-utf8', status: 400, body: Buffer.concat([Buffer.from('{"input": "'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]) },
  { name: 'empty-input', status: 400, body: JSON.stringify({ input: '' }) },
  { name: 'empty-array', status: 400, body: JSON.stringify({ input: [] }) },
  { name: 'bad-dimensions', status: 400, body: JSON.stringify({ input: 'a', dimensions: -1 }) },
];

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function procStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

async function startServer(modelDir, corpusFile) {
  const child = spawn(process.execPath, [bin, 'serve', '--model', modelDir, '--backend', BACKEND, '--port', '0', '--corpus', corpusFile, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function runModel(name, sentences) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sbert-load-'));
  const corpusFile = path.join(tmp, 'corpus.txt');
  writeFileSync(corpusFile, sentences.slice(0, 2000).join('\n'));
  const server = await startServer(MODELS[name], corpusFile);
  const health = await (await fetch(`${server.url}/health`)).json();
  console.error(`[${name}] server up at ${server.url}: ${JSON.stringify(health)}`);
  const post = (route, body) => fetch(`${server.url}${route}`, { method: 'POST', headers: JSON_HEADERS, body });

  /** One phase of CLIENTS clients sending back to back until `seconds` pass or `maxRequests`. */
  async function phase(seconds, maxRequests) {
    const st = { latencies: { embeddings: [], similarity: [], search: [], abuse: [] }, unexpected: {}, abuseCounts: {}, requests: 0, texts: 0, t0: performance.now() };
    const deadline = st.t0 + seconds * 1000;
    async function client() {
      while (performance.now() < deadline && st.requests < maxRequests) {
        st.requests++;
        const r = rand();
        let kind;
        let route;
        let body;
        let expect = 200;
        if (r < 0.8) {
          kind = 'embeddings';
          route = '/v1/embeddings';
          const n = 1 + Math.floor(rand() * 8);
          st.texts += n;
          body = JSON.stringify({ model: name, input: Array.from({ length: n }, () => pick(sentences)), encoding_format: rand() < 0.5 ? 'float' : 'base64' });
        } else if (r < 0.88) {
          kind = 'similarity';
          route = '/v1/similarity';
          st.texts += 3;
          body = JSON.stringify({ a: [pick(sentences)], b: [pick(sentences), pick(sentences)] });
        } else if (r < 0.95) {
          kind = 'search';
          route = '/v1/search';
          st.texts += 1;
          body = JSON.stringify({ query: pick(sentences), top_k: 5 });
        } else {
          kind = 'abuse';
          const a = pick(ABUSE);
          st.abuseCounts[a.name] = (st.abuseCounts[a.name] ?? 0) + 1;
          route = '/v1/embeddings';
          body = a.body;
          expect = a.status;
        }
        const start = performance.now();
        let status;
        try {
          const res = await post(route, body);
          const json = await res.json();
          status = res.status;
          if (status === 200 && kind === 'embeddings' && !Array.isArray(json.data)) status = 'bad-body';
          if (status !== 200 && !(json && json.error && typeof json.error.message === 'string')) status = `${status}-bad-error-body`;
        } catch (error) {
          status = `exception:${error.cause?.code ?? error.message}`;
        }
        st.latencies[kind].push(performance.now() - start);
        if (status !== expect) {
          const key = `${kind}:${status}`;
          st.unexpected[key] = (st.unexpected[key] ?? 0) + 1;
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, client));
    st.elapsed = (performance.now() - st.t0) / 1000;
    return st;
  }

  const warm = await phase(WARMUP_S, Infinity);
  const rssAfterWarmup = procStatus(server.child.pid).rss;
  const samples = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const { rss } = procStatus(server.child.pid);
    samples.push({ t_s: Math.round((performance.now() - t0) / 100) / 10, rss_mb: Math.round((rss / 2 ** 20) * 10) / 10 });
  }, 1000);
  const main = await phase(DURATION_S, MAX_REQUESTS);
  const { latencies, unexpected, abuseCounts, texts, elapsed } = main;
  clearInterval(sampler);
  const stillHealthy = (await fetch(`${server.url}/health`)).status === 200;
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const metric = (re) => Number(re.exec(metrics)?.[1] ?? NaN);
  const { rss: rssEnd, hwm } = procStatus(server.child.pid);
  server.child.kill('SIGTERM');
  const exitCode = await new Promise((resolve) => server.child.once('exit', resolve));
  rmSync(tmp, { recursive: true, force: true });

  const summary = (arr) => {
    const s = [...arr].sort((a, b) => a - b);
    const r = (v) => (v === null ? null : Math.round(v * 100) / 100);
    return { count: s.length, p50_ms: r(percentile(s, 50)), p90_ms: r(percentile(s, 90)), p99_ms: r(percentile(s, 99)), max_ms: r(s.at(-1) ?? null) };
  };
  const all = Object.values(latencies).flat();
  const warmAll = Object.values(warm.latencies).flat();
  const tenth = samples.find((s) => s.t_s >= 10)?.rss_mb ?? null;
  const result = {
    model: name,
    model_dir: path.relative(repoRoot, MODELS[name]),
    backend: health.backend,
    dimension: health.dimension,
    clients: CLIENTS,
    warmup: { duration_s: Math.round(warm.elapsed * 10) / 10, requests: warmAll.length, errors: Object.values(warm.unexpected).reduce((a, b) => a + b, 0), unexpected: warm.unexpected, latency: summary(warmAll) },
    duration_s: Math.round(elapsed * 10) / 10,
    requests: all.length,
    errors: Object.values(unexpected).reduce((a, b) => a + b, 0),
    unexpected,
    abuse_requests: abuseCounts,
    throughput_rps: Math.round((all.length / elapsed) * 10) / 10,
    texts_per_s: Math.round((texts / elapsed) * 10) / 10,
    latency_all: summary(all),
    latency_by_kind: Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, summary(v)])),
    mean_micro_batch_texts: Math.round((metric(/^sbert_batch_size_texts_sum (\S+)$/m) / metric(/^sbert_batch_size_texts_count (\S+)$/m)) * 100) / 100,
    model_calls: metric(/^sbert_batch_size_texts_count (\S+)$/m),
    live_tensors_at_end: metric(/^sbert_tf_tensors (\S+)$/m),
    rss_mb: {
      after_warmup: Math.round((rssAfterWarmup / 2 ** 20) * 10) / 10,
      at_10s: tenth,
      end: Math.round((rssEnd / 2 ** 20) * 10) / 10,
      peak_vmhwm: Math.round((hwm / 2 ** 20) * 10) / 10,
      samples,
    },
    healthy_after: stillHealthy,
    server_exit_code_after_sigterm: exitCode,
  };
  console.error(`[${name}] ${result.requests} requests in ${result.duration_s}s: ${result.throughput_rps} req/s, ${result.texts_per_s} texts/s, p50 ${result.latency_all.p50_ms} ms, p99 ${result.latency_all.p99_ms} ms, errors ${result.errors}, peak RSS ${result.rss_mb.peak_vmhwm} MB`);
  return result;
}

const { source, texts: sentences } = loadSentences();
const runs = [];
for (const m of models) runs.push(await runModel(m, sentences));

const cpus = os.cpus();
const report = {
  bench: 'embedder HTTP load and abuse (loopback)',
  command: `node bench/embedder/load.bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  machine: {
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    note: 'client load generator and server share the same machine',
  },
  texts: source,
  settings: { warmup_s: WARMUP_S, duration_s: DURATION_S, clients: CLIENTS, max_requests: MAX_REQUESTS, mix: '80% embeddings (1-8 texts), 8% similarity, 7% search (corpus of 2000), 5% abusive' },
  runs,
  passed: runs.every((r) => r.errors === 0 && r.warmup.errors === 0 && r.healthy_after && r.server_exit_code_after_sigterm === 0),
};
if (DURATION_S >= 60) {
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-load.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`wrote ${path.relative(repoRoot, file)}`);
} else {
  console.log(JSON.stringify(report, null, 2));
}
process.exitCode = report.passed ? 0 : 1;
