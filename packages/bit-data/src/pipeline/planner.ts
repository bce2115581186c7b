/**
 * The batch planner: decides, from one seeded RNG, which examples come next and how each
 * is augmented, and the MixUp lambda of each step. It does no image work, so its state is
 * small and serialisable: a trainer checkpoints `batch.state` and resumes exactly there.
 *
 * Order modes: full shuffle (a fresh permutation each epoch), buffered shuffle (tf.data
 * style), sequential, or sampling with replacement (the official rule when the training
 * set is smaller than a batch, e.g. few-shot).
 */
import { DataArgumentError } from '../errors';
import { sampleMixupLambda } from '../random/distributions';
import { Rng, type RngState } from '../random/rng';
import {
  sampleAugmentParams,
  type AugmentParams,
  type TransformOptions,
} from '../transforms/hyperrule';

/** Serialisable planner state (JSON-safe). */
export interface PipelineState {
  readonly version: 1;
  /** RNG state now. */
  readonly rng: RngState;
  /** RNG state when the current epoch's permutation was drawn (full shuffle). */
  readonly epochRng: RngState;
  /** Epochs started so far (1 during the first). */
  readonly epoch: number;
  /** Position in the current epoch's order. */
  readonly cursor: number;
  /** Batches planned so far. */
  readonly step: number;
  /** Buffered shuffle: indices in the buffer. */
  readonly buffer?: readonly number[];
  /** The current MixUp lambda (shared by `mixupEvery` consecutive batches). */
  readonly lambda?: number;
  /** Examples found broken so far (never planned again). */
  readonly broken: readonly number[];
}

/** How the planner orders examples. */
export interface PlannerOptions {
  readonly size: number;
  readonly seed: number;
  readonly order: 'shuffle' | 'sequential' | 'replacement' | { readonly buffer: number };
  /** Number of passes over the data (Infinity: forever). With replacement, a pass is `size` draws. */
  readonly epochs: number;
  readonly transform: TransformOptions;
  /** MixUp alpha (0: none) and how many consecutive batches share a lambda. */
  readonly mixupAlpha: number;
  readonly mixupEvery: number;
}

/** One planned example: which index and its transform parameters. */
export interface PlannedItem {
  readonly index: number;
  readonly params: AugmentParams;
}

/** Plans examples and MixUp lambdas from one seeded RNG. */
export class BatchPlanner {
  private readonly rng: Rng;
  private epochRng: RngState;
  private epoch = 0;
  private cursor = 0;
  private step = 0;
  private perm: Int32Array | undefined;
  private buffer: number[] = [];
  private lambda: number | undefined;
  private readonly broken = new Set<number>();

  constructor(
    private readonly options: PlannerOptions,
    state?: PipelineState,
  ) {
    const { size, epochs, order } = options;
    if (!Number.isInteger(size) || size <= 0)
      throw new DataArgumentError(`pipeline: the source is empty (size ${size})`);
    if (!(epochs > 0)) throw new DataArgumentError(`pipeline: epochs must be > 0, got ${epochs}`);
    if (typeof order === 'object' && (!Number.isInteger(order.buffer) || order.buffer <= 0)) {
      throw new DataArgumentError(
        `pipeline: shuffle buffer must be a positive integer, got ${order.buffer}`,
      );
    }
    this.rng = new Rng(options.seed);
    this.epochRng = this.rng.getState();
    if (state) this.restore(state);
    else this.startEpoch();
  }

  /** Batches planned so far. */
  get currentStep(): number {
    return this.step;
  }

  /** The state after everything planned so far. */
  getState(): PipelineState {
    return {
      version: 1,
      rng: this.rng.getState(),
      epochRng: [...this.epochRng] as RngState,
      epoch: this.epoch,
      cursor: this.cursor,
      step: this.step,
      ...(typeof this.options.order === 'object' ? { buffer: [...this.buffer] } : {}),
      ...(this.lambda !== undefined ? { lambda: this.lambda } : {}),
      broken: [...this.broken].sort((a, b) => a - b),
    };
  }

  /** Marks an example as broken: it is never planned again. */
  markBroken(index: number): void {
    this.broken.add(index);
    if (this.broken.size >= this.options.size) {
      throw new DataArgumentError('pipeline: every example of the source is broken');
    }
  }

  /** The MixUp lambda for the next batch (advances the step counter); 1 without MixUp. */
  nextLambda(): number {
    const { mixupAlpha, mixupEvery } = this.options;
    if (mixupAlpha > 0 && (this.step % mixupEvery === 0 || this.lambda === undefined)) {
      this.lambda = sampleMixupLambda(this.rng, mixupAlpha);
    }
    this.step++;
    return mixupAlpha > 0 ? this.lambda! : 1;
  }

  /** The next example and its transform parameters, or undefined when the epochs are done. */
  nextItem(): PlannedItem | undefined {
    for (;;) {
      const index = this.nextIndex();
      if (index === undefined) return undefined;
      if (this.broken.has(index)) continue;
      return { index, params: sampleAugmentParams(this.rng, this.options.transform) };
    }
  }

  private nextIndex(): number | undefined {
    const { size, order, epochs } = this.options;
    for (;;) {
      if (typeof order === 'object') {
        while (this.buffer.length < order.buffer && this.cursor < size)
          this.buffer.push(this.cursor++);
        if (this.buffer.length > 0) {
          const j = this.rng.nextInt(this.buffer.length);
          const out = this.buffer[j];
          if (this.cursor < size) this.buffer[j] = this.cursor++;
          else {
            this.buffer[j] = this.buffer[this.buffer.length - 1];
            this.buffer.pop();
          }
          return out;
        }
      } else if (this.cursor < size) {
        const c = this.cursor++;
        if (order === 'replacement') return this.rng.nextInt(size);
        return order === 'shuffle' ? this.perm![c] : c;
      }
      if (this.epoch >= epochs) return undefined;
      this.startEpoch();
    }
  }

  private startEpoch(): void {
    this.epoch++;
    this.cursor = 0;
    this.epochRng = this.rng.getState();
    if (this.options.order === 'shuffle') this.perm = this.permutation();
  }

  private permutation(): Int32Array {
    const p = new Int32Array(this.options.size);
    for (let i = 0; i < p.length; i++) p[i] = i;
    return this.rng.shuffle(p);
  }

  private restore(state: PipelineState): void {
    if (state?.version !== 1)
      throw new DataArgumentError(`pipeline: unknown state version ${String(state?.version)}`);
    if (!(state.cursor >= 0 && state.cursor <= this.options.size)) {
      throw new DataArgumentError(
        `pipeline: state cursor ${state.cursor} does not fit a source of ${this.options.size} examples`,
      );
    }
    this.epoch = state.epoch;
    this.cursor = state.cursor;
    this.step = state.step;
    this.lambda = state.lambda;
    this.buffer = state.buffer ? [...state.buffer] : [];
    for (const b of state.broken ?? []) this.broken.add(b);
    this.epochRng = [...state.epochRng] as RngState;
    if (this.options.order === 'shuffle') {
      this.rng.setState(state.epochRng);
      this.perm = this.permutation();
    }
    this.rng.setState(state.rng);
  }
}
