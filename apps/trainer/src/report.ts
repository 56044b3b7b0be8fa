/**
 * The end-of-run report: one self-contained HTML file (inline SVG, no scripts, no network)
 * with the loss and metric curves, the resolved config, data counts and final metrics.
 */
import { writeFileAtomic } from '@sbert/core';
import type { TrainConfig } from './config.js';
import type { TrainResult } from './trainer.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An SVG line chart of one or more series of (x, y) points. */
export function lineChart(title: string, series: { name: string; points: [number, number][] }[], width = 640, height = 260): string {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>No data.</p></figure>`;
  const pad = { l: 56, r: 16, t: 12, b: 32 };
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number): number => pad.l + ((x - x0) / Math.max(1e-12, x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y: number): number => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
  const lines = series.map((s, i) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const dots = s.points.length <= 40 ? s.points.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colors[i % colors.length]}"/>`).join('') : '';
    return `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="1.5" points="${pts}"/>${dots}`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = y0 + f * (y1 - y0);
    return `<line x1="${pad.l}" x2="${width - pad.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e7eb"/><text x="${pad.l - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${y.toPrecision(3)}</text>`;
  });
  const legend = series.map((s, i) => `<tspan fill="${colors[i % colors.length]}">■ ${esc(s.name)}</tspan>`).join('  ');
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
${ticks.join('')}<line x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${height - pad.b}" stroke="#111"/><line x1="${pad.l}" x2="${width - pad.r}" y1="${height - pad.b}" y2="${height - pad.b}" stroke="#111"/>
<text x="${pad.l}" y="${height - 8}" font-size="11">step ${x0}</text><text x="${width - pad.r}" y="${height - 8}" font-size="11" text-anchor="end">step ${x1}</text>
${lines.join('')}<text x="${pad.l + 8}" y="${pad.t + 12}" font-size="12">${legend}</text></svg></figure>`;
}

function table(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

export function renderReport(config: TrainConfig, result: TrainResult): string {
  const lossSeries = [{ name: 'training loss', points: result.losses.map((l, i) => [i + 1, l] as [number, number]) }];
  const metricNames = [...new Set(result.evaluations.flatMap((e) => Object.keys(e.metrics)))];
  const metricSeries = metricNames.map((name) => ({ name, points: result.evaluations.map((e) => [e.step, e.metrics[name]!] as [number, number]) }));
  const final = result.finalMetrics ? Object.entries(result.finalMetrics).map(([k, v]) => [k, Number.isFinite(v) ? v.toFixed(4) : String(v)] as [string, string]) : [];
  const counts = result.dataCounts.map((d) => [d.file, `${d.records} records from ${d.lines} lines; skipped ${JSON.stringify(d.skipped)}; excluded ${JSON.stringify(d.excluded)}`] as [string, string]);
  const cfg = Object.entries(config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>@sbert training report</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:980px;color:#111}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #d1d5db;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f3f4f6;font-weight:600}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.25rem}td{word-break:break-all}</style></head>
<body><h1>@sbert training report</h1>
${table([['output', result.outputDir], ['steps', String(result.steps)], ['time', `${result.seconds.toFixed(1)} s`], ['backend', result.backend.choice], ['best model', result.bestModelDir ?? '(no evaluator)'], ['last model', result.lastModelDir]])}
<h2>Final metrics</h2>${final.length ? table(final) : '<p>No evaluator was configured.</p>'}
<h2>Curves</h2>${lineChart('Training loss', lossSeries)}${metricSeries.length ? lineChart('Evaluation metrics', metricSeries) : ''}
<h2>Data</h2>${table(counts)}
<h2>Configuration</h2>${table(cfg)}
</body></html>
`;
}

export async function writeReport(file: string, config: TrainConfig, result: TrainResult): Promise<void> {
  await writeFileAtomic(file, renderReport(config, result));
}
