/** A small live chart of training loss (left axis) and accuracy on the taught images (right). */

/** One series point. */
interface Point {
  readonly step: number;
  readonly value: number;
}

export class TrainingChart {
  private loss: Point[] = [];
  private accuracy: Point[] = [];
  private totalSteps = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.draw();
  }

  reset(totalSteps: number): void {
    this.loss = [];
    this.accuracy = [];
    this.totalSteps = Math.max(1, totalSteps);
    this.draw();
  }

  addLoss(step: number, value: number): void {
    this.loss.push({ step, value });
    this.draw();
  }

  addAccuracy(step: number, value: number): void {
    this.accuracy.push({ step, value });
    this.draw();
  }

  /** The points drawn so far (for tests and the status line). */
  get points(): { loss: readonly Point[]; accuracy: readonly Point[] } {
    return { loss: this.loss, accuracy: this.accuracy };
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) return;
    const { width, height } = this.canvas;
    const pad = 28;
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = '#999';
    ctx.lineWidth = 1;
    ctx.strokeRect(pad, 8, width - 2 * pad, height - pad - 8);
    ctx.fillStyle = '#555';
    ctx.font = '11px sans-serif';
    const maxLoss = Math.max(1e-6, ...this.loss.map((p) => p.value));
    ctx.fillText(maxLoss.toFixed(2), 2, 16);
    ctx.fillText('0', 2, height - pad);
    ctx.fillText('100%', width - pad + 2, 16);
    ctx.fillText(`step ${this.totalSteps}`, width - pad - 48, height - 8);
    const x = (step: number) => pad + ((width - 2 * pad) * step) / this.totalSteps;
    const y = (v: number, max: number) => height - pad - ((height - pad - 8) * v) / max;
    const line = (points: readonly Point[], max: number, colour: string) => {
      if (points.length === 0) return;
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      points.forEach((p, i) =>
        i === 0 ? ctx.moveTo(x(p.step), y(p.value, max)) : ctx.lineTo(x(p.step), y(p.value, max)),
      );
      ctx.stroke();
      for (const p of points.slice(-1)) ctx.fillRect(x(p.step) - 2, y(p.value, max) - 2, 4, 4);
    };
    line(this.loss, maxLoss, '#d04a02');
    line(this.accuracy, 1, '#1565c0');
    ctx.fillStyle = '#d04a02';
    ctx.fillText('loss', pad + 6, 22);
    ctx.fillStyle = '#1565c0';
    ctx.fillText('accuracy (taught images)', pad + 40, 22);
  }
}
