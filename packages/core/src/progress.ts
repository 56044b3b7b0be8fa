/** A minimal progress bar on stderr (only drawn when stderr is a terminal, unless forced). */
export class ProgressBar {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly label = '',
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const frac = this.total === 0 ? 1 : this.done / this.total;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const line = `${this.label}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${rate.toFixed(1)}/s ETA ${eta.toFixed(0)}s`;
    this.stream.write(this.stream.isTTY ? `\r${line}` : `${line}\n`);
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
