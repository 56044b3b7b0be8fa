import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { renderReport } from './report.js';
import type { TrainConfig } from './config.js';
import type { TrainResult } from './trainer.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const config = { shape: 'tiny', batchSize: 32, learningRate: 5e-4, objectives: [{ data: { path: 'train.tsv', format: 'sts' }, loss: 'CoSENTLoss' }] } as unknown as TrainConfig;
const result: TrainResult = {
  outputDir: '/tmp/run',
  bestModelDir: '/tmp/run/best',
  lastModelDir: '/tmp/run/last',
  steps: 60,
  losses: Array.from({ length: 60 }, (_, i) => 4 * Math.exp(-i / 20) + 0.1 * Math.sin(i)),
  evaluations: [20, 40, 60].map((step, i) => ({ step, epoch: 0, metrics: { 'sts-dev_pearson_cosine': 0.5 + 0.1 * i, 'sts-dev_spearman_cosine': 0.52 + 0.1 * i } })),
  finalMetrics: { 'sts-dev_pearson_cosine': 0.7, 'sts-dev_spearman_cosine': 0.72 },
  backend: { choice: 'wasm', tfBackend: 'wasm', fixes: [], skipped: [] },
  dataCounts: [{ file: 'train.tsv', lines: 100, records: 98, skipped: { 'bad-label': 2 }, excluded: {} }],
  seconds: 12.5,
};

describe('HTML report', () => {
  it('is self-contained: no script, no external resource', () => {
    const html = renderReport(config, result);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)|<link /);
    expect(html).toContain('sts-dev_spearman_cosine');
    expect(html).toContain('98 records from 100 lines; skipped {&quot;bad-label&quot;:2}');
  });

  it.skipIf(!existsSync(CHROMIUM))('renders in headless Chromium with both charts and the tables (screenshot kept)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'report-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, renderReport(config, result));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      await page.goto(`file://${file}`);
      expect(await page.title()).toBe('@sbert training report');
      const charts = await page.locator('svg').evaluateAll((svgs) => svgs.map((s) => ({ label: s.getAttribute('aria-label'), lines: s.querySelectorAll('polyline').length, w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height })));
      expect(charts).toEqual([
        { label: 'Training loss', lines: 1, w: 640, h: 260 },
        { label: 'Evaluation metrics', lines: 2, w: 640, h: 260 },
      ]);
      // The loss curve starts high and ends low: its first point is above its last on screen.
      const points = (await page.locator('svg polyline').first().getAttribute('points'))!.split(' ').map((p) => p.split(',').map(Number));
      expect(points[0]![1]!).toBeLessThan(points.at(-1)![1]!);
      const shot = path.join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(20_000);
      if (process.env['REPORT_SCREENSHOT']) writeFileSync(process.env['REPORT_SCREENSHOT'], png);
    } finally {
      await browser.close();
    }
  });
});
