/**
 * SGD with momentum (PyTorch / tfjs form, as the official BiT code uses it):
 * `buf = momentum * buf + grad; w = w - lr * buf`, no Nesterov. Weight decay is off by default
 * (BiT fine-tuning uses none); upstream pre-training adds L2 decay to the kernels' gradients,
 * `grad + weightDecay * w`, as the official upstream recipe (and PyTorch's `weight_decay`) does.
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

/** Options of {@link MomentumSgd}. */
export interface MomentumSgdOptions {
  /** L2 weight decay added to the gradient of every decayed weight (default 0: none). */
  weightDecay?: number;
  /** Which weights decay (default: kernels, i.e. names ending in `/kernel`; not GN or biases). */
  decays?: (name: string) => boolean;
}

/** The default decay set of the upstream recipe: conv and head kernels, not GroupNorm or biases. */
export function isKernelName(name: string): boolean {
  return name.endsWith('/kernel');
}

/** SGD with momentum over a fixed list of weights; buffers start at zero. */
export class MomentumSgd {
  private readonly slots = new Map<string, tf.Variable>();
  private readonly momentumScalar: tf.Scalar;
  private readonly decayScalar: tf.Scalar | null;
  private readonly decayed: ReadonlySet<string>;
  private disposed = false;
  /** L2 weight decay (0: none). */
  readonly weightDecay: number;

  /**
   * @param weights the weights it updates (names must be unique).
   * @param momentum momentum coefficient in [0, 1) (BiT: 0.9).
   * @param options weight decay (default none).
   */
  constructor(
    readonly weights: readonly TrainableWeight[],
    readonly momentum = 0.9,
    options: MomentumSgdOptions = {},
  ) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new TrainConfigError(`MomentumSgd: momentum must be in [0, 1), got ${momentum}`);
    }
    const weightDecay = options.weightDecay ?? 0;
    if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
      throw new TrainConfigError(
        `MomentumSgd: weightDecay must be a finite number >= 0, got ${weightDecay}`,
      );
    }
    this.weightDecay = weightDecay;
    const decays = options.decays ?? isKernelName;
    this.decayed = new Set(
      weightDecay > 0 ? weights.filter((w) => decays(w.name)).map((w) => w.name) : [],
    );
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
    this.decayScalar = weightDecay > 0 ? tf.keep(tf.scalar(weightDecay, 'float32')) : null;
  }

  /** True when `name` gets weight decay. */
  decays(name: string): boolean {
    return this.decayed.has(name);
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
        const grad =
          this.decayScalar && this.decayed.has(w.name)
            ? tf.add(g, tf.mul(this.decayScalar, w.variable))
            : g;
        const next = tf.add(tf.mul(this.momentumScalar, buf), grad);
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
    this.decayScalar?.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new TrainConfigError('MomentumSgd: used after dispose()');
  }
}
