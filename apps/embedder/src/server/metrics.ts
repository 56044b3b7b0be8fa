/** Server metrics in the Prometheus text exposition format (version 0.0.4). */

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(v: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }

  lines(name: string, labels: string): string[] {
    const sep = labels ? `${labels},` : '';
    const out = this.buckets.map((b, i) => `${name}_bucket{${sep}le="${b}"} ${this.counts[i]}`);
    out.push(`${name}_bucket{${sep}le="+Inf"} ${this.count}`);
    out.push(`${name}_sum${labels ? `{${labels}}` : ''} ${this.sum}`);
    out.push(`${name}_count${labels ? `{${labels}}` : ''} ${this.count}`);
    return out;
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export interface GaugeValues {
  queueTexts: number;
  corpusSize: number;
  tensors: number;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly batchSizes = new Histogram(BATCH_BUCKETS);
  private readonly batchSeconds = new Histogram(LATENCY_BUCKETS);
  private texts = 0;
  private tokens = 0;
  inflight = 0;
  private readonly started = Date.now();

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const key = `route="${escapeLabel(route)}",method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const lk = `route="${escapeLabel(route)}"`;
    let h = this.latency.get(lk);
    if (!h) this.latency.set(lk, (h = new Histogram(LATENCY_BUCKETS)));
    h.observe(seconds);
  }

  observeBatch(texts: number, seconds: number): void {
    this.batchSizes.observe(texts);
    this.batchSeconds.observe(seconds);
    this.texts += texts;
  }

  addTokens(n: number): void {
    this.tokens += n;
  }

  render(g: GaugeValues): string {
    const mem = process.memoryUsage();
    const lines: string[] = [];
    const block = (name: string, type: string, help: string, body: string[]): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...body);
    };
    block('sbert_http_requests_total', 'counter', 'HTTP requests by route, method and status.', [...this.requests].map(([k, v]) => `sbert_http_requests_total{${k}} ${v}`));
    block('sbert_http_request_duration_seconds', 'histogram', 'Request latency by route.', [...this.latency].flatMap(([k, h]) => h.lines('sbert_http_request_duration_seconds', k)));
    block('sbert_http_requests_in_flight', 'gauge', 'Requests being handled.', [`sbert_http_requests_in_flight ${this.inflight}`]);
    block('sbert_batch_size_texts', 'histogram', 'Texts per model call (micro-batch size).', this.batchSizes.lines('sbert_batch_size_texts', ''));
    block('sbert_batch_duration_seconds', 'histogram', 'Duration of each model call.', this.batchSeconds.lines('sbert_batch_duration_seconds', ''));
    block('sbert_texts_embedded_total', 'counter', 'Texts embedded by the model.', [`sbert_texts_embedded_total ${this.texts}`]);
    block('sbert_prompt_tokens_total', 'counter', 'Tokens counted in usage of /v1/embeddings.', [`sbert_prompt_tokens_total ${this.tokens}`]);
    block('sbert_queue_texts', 'gauge', 'Texts waiting for a micro-batch.', [`sbert_queue_texts ${g.queueTexts}`]);
    block('sbert_corpus_size', 'gauge', 'Texts in the search corpus.', [`sbert_corpus_size ${g.corpusSize}`]);
    block('sbert_tf_tensors', 'gauge', 'Live TF.js tensors (constant when nothing leaks).', [`sbert_tf_tensors ${g.tensors}`]);
    block('process_resident_memory_bytes', 'gauge', 'Resident set size.', [`process_resident_memory_bytes ${mem.rss}`]);
    block('process_heap_bytes', 'gauge', 'V8 heap used.', [`process_heap_bytes ${mem.heapUsed}`]);
    block('process_uptime_seconds', 'gauge', 'Seconds since the server started.', [`process_uptime_seconds ${(Date.now() - this.started) / 1000}`]);
    return `${lines.join('\n')}\n`;
  }
}
