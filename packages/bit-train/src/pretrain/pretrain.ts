/**
 * pretrain: BiT's upstream training, scaled down, from scratch: a He-initialised ResNetV2
 * (GroupNorm + weight standardisation) trained with the upstream recipe of {@link upstreamPlan}
 * (SGD + momentum, warm-up, step decays, weight decay on kernels), random crop + flip, no MixUp.
 * The crop is the HyperRule's fixed-size one unless `cropArea` asks for BiT's Inception-style one
 * (measured on the transfer experiment: it did not help there; see the root README).
 * It runs the same loop as fineTune, so checkpoints, metrics, callbacks and exact resume are
 * the same. Isomorphic (see `@bit/train/node` for `pretrainRun` and run folders).
 */
import { loadImage, type DataSource, type Resolution } from '@bit/data';
import { buildResNetV2, validateArchitecture } from '@bit/models';
import { TrainConfigError } from '../errors';
import { runTraining } from '../loop/fine-tune';
import type { FineTuneOptions, FineTuneResult } from '../loop/options';
import { heInitialize } from './he-init';
import { MIN_STEPS, upstreamPlan } from './recipe';

/** Options of {@link pretrain}. */
export interface PretrainOptions extends Omit<
  FineTuneOptions,
  | 'model'
  | 'plan'
  | 'steps'
  | 'mixup'
  | 'headOnly'
  | 'precomputeFeatures'
  | 'newHead'
  | 'resolution'
  | 'imageSize'
> {
  /** Blocks' unit counts (R50: [3, 4, 6, 3]) and width (root channels / 64, e.g. 0.5). */
  architecture: { units: readonly number[]; width: number };
  /** Total optimizer steps; or give `epochs`. */
  steps?: number;
  /** Passes over `train` (steps = ceil(epochs * size / batchSize)), when `steps` is absent. */
  epochs?: number;
  /** Examples per step (default 128). */
  batchSize?: number;
  /** Base learning rate (default 0.03 * batchSize / 256, BiT's upstream rule). */
  baseLr?: number;
  /** Linear warm-up steps (default 5% of the run). */
  warmupSteps?: number;
  /** L2 weight decay on kernels (default 1e-4). */
  weightDecay?: number;
  /** Crop side (default 32) and resize side before the random crop (default crop * 9 / 8). */
  resolution?: number | Resolution;
}

function resolutionOf(r: PretrainOptions['resolution']): Resolution {
  const value = r ?? 32;
  const res =
    typeof value === 'number' ? { crop: value, precrop: Math.round((value * 9) / 8) } : value;
  if (
    !Number.isInteger(res.crop) ||
    res.crop < 8 ||
    !Number.isInteger(res.precrop) ||
    res.precrop < res.crop
  ) {
    throw new TrainConfigError(
      `pretrain: resolution needs integer crop >= 8 and precrop >= crop, got ${JSON.stringify(res)}`,
    );
  }
  return res;
}

async function imageSizeOf(source: DataSource): Promise<[number, number]> {
  const { height, width } = source.metadata;
  if (height && width) return [height, width];
  const first = await loadImage(source.example(0).image);
  return [first.height, first.width];
}

/** The number of steps: `steps`, or `epochs` passes over the data. */
export function pretrainSteps(
  o: Pick<PretrainOptions, 'steps' | 'epochs' | 'batchSize'>,
  datasetSize: number,
): number {
  if (o.steps !== undefined && o.epochs !== undefined) {
    throw new TrainConfigError('pretrain: give steps or epochs, not both');
  }
  if (o.steps !== undefined) return o.steps;
  if (o.epochs === undefined) throw new TrainConfigError('pretrain: steps or epochs is required');
  if (!(o.epochs > 0) || !Number.isFinite(o.epochs)) {
    throw new TrainConfigError(`pretrain: epochs must be a number > 0, got ${o.epochs}`);
  }
  const steps = Math.ceil((o.epochs * datasetSize) / (o.batchSize ?? 128));
  if (steps < MIN_STEPS) {
    throw new TrainConfigError(
      `pretrain: epochs ${o.epochs} over ${datasetSize} examples at batch ${o.batchSize ?? 128} ` +
        `is ${steps} step${steps === 1 ? '' : 's'}; the upstream schedule needs at least ${MIN_STEPS}`,
    );
  }
  return steps;
}

/**
 * Pre-trains a BiT ResNetV2 from scratch on `train` (its classes become the head's) with the
 * upstream recipe. The He initialisation is seeded by `seed`, so a run is reproducible; with
 * `store` and `resume` it continues exactly from the last checkpoint.
 */
export async function pretrain(options: PretrainOptions): Promise<FineTuneResult> {
  if (!options || typeof options !== 'object') {
    throw new TrainConfigError('pretrain: options must be an object { architecture, train, ... }');
  }
  const { architecture, train } = options;
  if (!architecture || !Array.isArray(architecture.units)) {
    throw new TrainConfigError('pretrain: architecture { units, width } is required');
  }
  if (!train || typeof train.example !== 'function' || !train.metadata) {
    throw new TrainConfigError('pretrain: train must be a DataSource from @bit/data');
  }
  const classes = train.metadata.classes;
  const arch = validateArchitecture({ ...architecture, numClasses: classes.length });
  const resolution = resolutionOf(options.resolution);
  const plan = upstreamPlan({
    steps: pretrainSteps(options, train.size),
    batchSize: options.batchSize,
    baseLr: options.baseLr,
    warmupSteps: options.warmupSteps,
    weightDecay: options.weightDecay,
    resolution,
    datasetSize: train.size,
    imageSize: await imageSizeOf(train),
  });
  const model = buildResNetV2(arch, { kernelInitializer: 'zeros' });
  heInitialize(model, options.seed ?? 0);
  const {
    architecture: _a,
    epochs: _e,
    warmupSteps: _w,
    weightDecay: _d,
    batchSize: _b,
    baseLr: _l,
    steps: _s,
    ...rest
  } = options;
  try {
    return await runTraining({ ...rest, model, plan, resolution, mixup: 0 });
  } catch (err) {
    model.dispose();
    throw err;
  }
}
