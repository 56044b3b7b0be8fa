/** The training progress line: step, loss, learning rate, steps/s and ETA. */
export class TrainProgress {
  private readonly start = Date.now();
  private last = 0;

  constructor(private readonly total: number, private readonly enabled: boolean, private readonly startStep = 0, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(step: number, loss: number, lr: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200 && step < this.total) return;
    this.last = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? (step - this.startStep) / secs : 0;
    const eta = rate > 0 ? (this.total - step) / rate : 0;
    const width = 24;
    const filled = Math.round((step / Math.max(1, this.total)) * width);
    const line = `train [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${this.total} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} ${rate.toFixed(2)} it/s ETA ${formatSeconds(eta)}`;
    this.stream.write(this.stream.isTTY ? `\r${line}` : `${line}\n`);
  }

  done(): void {
    if (this.enabled && this.stream.isTTY) this.stream.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60)}s` : `${s.toFixed(0)}s`;
}
