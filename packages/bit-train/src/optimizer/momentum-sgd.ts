/**
 * SGD with momentum (PyTorch / tfjs form, as the official BiT code uses it):
 * `buf = momentum * buf + grad; w = w - lr * buf`, no weight decay, no Nesterov.
 * Its state (one momentum buffer per weight, keyed by the weight's checkpoint name) is
 * exported and restored exactly, so a resumed run continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '@bit/models';
import { CheckpointError, TrainConfigError } from '../errors';

/** A weight that receives gradients: its checkpoint name and the variable holding it. */
export interface TrainableWeight {
  /** Checkpoint name, e.g. `resnet/head/conv2d/kernel`. */
  readonly name: string;
  readonly variable: tf.Variable;
}

/** SGD with momentum over a fixed list of weights; buffers start at zero. */
export class MomentumSgd {
  private readonly slots = new Map<string, tf.Variable>();
  private readonly momentumScalar: tf.Scalar;
  private disposed = false;

  /**
   * @param weights the weights it updates (names must be unique).
   * @param momentum momentum coefficient in [0, 1) (BiT: 0.9).
   */
  constructor(
    readonly weights: readonly TrainableWeight[],
    readonly momentum = 0.9,
  ) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new TrainConfigError(`MomentumSgd: momentum must be in [0, 1), got ${momentum}`);
    }
    for (const w of weights) {
      if (this.slots.has(w.name)) {
        throw new TrainConfigError(`MomentumSgd: weight name ${w.name} appears twice`);
      }
      this.slots.set(
        w.name,
        tf.tidy(() => tf.variable(tf.zerosLike(w.variable), false)),
      );
    }
    this.momentumScalar = tf.keep(tf.scalar(momentum, 'float32'));
  }

  /**
   * One update with learning rate `lr`. `grads` maps weight names to gradients (the caller
   * keeps ownership); a weight without a gradient keeps its value and its buffer.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.checkAlive();
    if (!Number.isFinite(lr) || lr < 0) {
      throw new TrainConfigError(`MomentumSgd.apply: lr must be a finite number >= 0, got ${lr}`);
    }
    tf.tidy(() => {
      const rate = tf.scalar(lr, 'float32');
      for (const w of this.weights) {
        const g = grads.get(w.name);
        if (!g) continue;
        const buf = this.slots.get(w.name)!;
        const next = tf.add(tf.mul(this.momentumScalar, buf), g);
        buf.assign(next);
        w.variable.assign(tf.sub(w.variable, tf.mul(rate, next)));
      }
    });
  }

  /** The momentum buffers as named arrays (names of the weights, shapes of the variables). */
  async getSlots(): Promise<NamedArray[]> {
    this.checkAlive();
    const out: NamedArray[] = [];
    for (const w of this.weights) {
      const buf = this.slots.get(w.name)!;
      out.push({ name: w.name, shape: [...buf.shape], data: (await buf.data()) as Float32Array });
    }
    return out;
  }

  /**
   * Restores buffers saved by {@link getSlots}; every weight needs one, of its shape.
   * @throws CheckpointError naming the missing or mis-shaped buffer.
   */
  setSlots(arrays: readonly NamedArray[]): void {
    this.checkAlive();
    const byName = new Map(arrays.map((a) => [a.name, a]));
    for (const w of this.weights) {
      const a = byName.get(w.name);
      if (!a) throw new CheckpointError(`optimizer state has no momentum buffer for ${w.name}`);
      const shape = w.variable.shape;
      if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i])) {
        throw new CheckpointError(
          `momentum buffer ${w.name} has shape [${a.shape.join(', ')}], the weight [${shape.join(', ')}]`,
        );
      }
    }
    for (const w of this.weights) {
      const a = byName.get(w.name)!;
      tf.tidy(() => this.slots.get(w.name)!.assign(tf.tensor(a.data, w.variable.shape, 'float32')));
    }
  }

  /** Frees the buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots.values()) s.dispose();
    this.slots.clear();
    this.momentumScalar.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new TrainConfigError('MomentumSgd: used after dispose()');
  }
}
