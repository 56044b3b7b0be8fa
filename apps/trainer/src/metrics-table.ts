/** Prints metrics as an aligned two-column table. */
export function formatMetrics(metrics: Record<string, number>): string {
  const rows = Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v.toFixed(4) : String(v)] as const);
  const w = Math.max(6, ...rows.map(([k]) => k.length));
  const line = `${'-'.repeat(w)}  ${'-'.repeat(8)}`;
  return [`${'metric'.padEnd(w)}  value`, line, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v.padStart(8)}`)].join('\n');
}

export function printMetrics(metrics: Record<string, number>): void {
  console.log(formatMetrics(metrics));
}
