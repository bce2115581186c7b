/** Classification metrics on logits, accumulated in float64 in plain JS. */

/** Top-1 / top-5 accuracy and mean cross-entropy over `count` examples. */
export interface EvalResult {
  /** Fraction of examples whose true class has the highest logit. */
  readonly top1: number;
  /** Fraction whose true class is among the 5 highest (1 when there are at most 5 classes). */
  readonly top5: number;
  /** Mean cross-entropy (soft targets when the labels are MixUp-mixed). */
  readonly loss: number;
  /** Examples evaluated. */
  readonly count: number;
}

/** Running sums of {@link EvalResult}. */
export class EvalAccumulator {
  private top1 = 0;
  private top5 = 0;
  private lossSum = 0;
  private n = 0;

  /**
   * Adds a batch: `logits` [B, K] row-major, and labels as class indices [B] or soft targets
   * [B, K] (their argmax is the class for accuracy).
   */
  add(logits: Float32Array, labels: Int32Array | Float32Array, k: number): void {
    const b = logits.length / k;
    const soft = labels.length === b * k && !(labels instanceof Int32Array);
    for (let i = 0; i < b; i++) {
      const row = logits.subarray(i * k, (i + 1) * k);
      let max = -Infinity;
      for (let j = 0; j < k; j++) if (row[j] > max) max = row[j];
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(row[j] - max);
      const lse = max + Math.log(sum);
      let label: number;
      if (soft) {
        const t = labels.subarray(i * k, (i + 1) * k);
        label = 0;
        let ce = 0;
        for (let j = 0; j < k; j++) {
          if (t[j] > t[label]) label = j;
          if (t[j] !== 0) ce -= t[j] * (row[j] - lse);
        }
        this.lossSum += ce;
      } else {
        label = labels[i];
        this.lossSum += lse - row[label];
      }
      // Rank of the true class, ties broken by index as tf.topk does.
      const v = row[label];
      let rank = 0;
      for (let j = 0; j < k; j++) if (row[j] > v || (row[j] === v && j < label)) rank++;
      if (rank === 0) this.top1++;
      if (rank < 5) this.top5++;
    }
    this.n += b;
  }

  /** The metrics so far (NaN for none when empty). */
  result(): EvalResult {
    const n = this.n;
    return {
      top1: n ? this.top1 / n : NaN,
      top5: n ? this.top5 / n : NaN,
      loss: n ? this.lossSum / n : NaN,
      count: n,
    };
  }
}
