/** Training progress on stderr: a redrawn bar on a TTY, plain lines otherwise. */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = performance.now();
  private lastLine = 0;
  private firstStep: number | null = null;

  constructor(private readonly total: number) {}

  /** Reports one finished optimizer step (0-based). */
  step(m: { step: number; loss: number; lr: number; imagesPerSecond: number }): void {
    if (this.firstStep === null) this.firstStep = m.step;
    const done = m.step + 1;
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = (done - this.firstStep) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const text =
      `step ${done}/${this.total}  loss ${m.loss.toFixed(4)}  lr ${m.lr.toExponential(2)}  ` +
      `${m.imagesPerSecond.toFixed(1)} img/s  ETA ${formatSeconds(eta)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * done) / this.total);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      if (done === this.total) process.stderr.write('\n');
    } else if (done === this.total || performance.now() - this.lastLine > 2000 || done === 1) {
      this.lastLine = performance.now();
      process.stderr.write(`${text}\n`);
    }
  }

  /** A line that does not disturb the bar. */
  note(message: string): void {
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}${message}\n`);
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
