import * as tf from '@tensorflow/tfjs-core';
import { buildResNetV2, parseArchitectureName } from '@bit/models';
import { exportOnnx, OnnxBiTModel } from '@bit/models/node';
import { choiceFlag, numberFlag, parseCommandArgs } from '../args';
import { selectBackend } from '../backends';
import { engineFlags, engineLoadOptions } from '../engine';
import { UsageError } from '../errors';
import { BACKEND_FLAG, ENGINE_FLAG, JSON_FLAG, THREADS_FLAG } from '../flags';
import { benchTrainStep } from '../bench-workers';
import { explainWasmHeapError } from '../memory';
import { log, printJson } from '../output';
import type { Command } from './types';
import { analyse, describeAnalysis } from '../bench/analyse';

const usage =
  'bit bench --model R50x1 [--image-size 128] [--batch 4] [--mode inference|train] [--iterations 5] [--warmup 1] [--classes 1000] [--breakdown] [--skip-analysis] [--backend B] [--engine tfjs|onnx] [--threads N] [--workers N] [--batch-split N] [--json]';

const flags = {
  model: {
    type: 'string',
    value: 'ARCH',
    default: 'R50x1',
    description: 'architecture R{50|101|152}x{width} (random weights, nothing downloaded)',
  },
  'image-size': { type: 'string', value: 'N', default: '128', description: 'image side in pixels' },
  batch: { type: 'string', value: 'N', default: '4', description: 'images per iteration' },
  mode: {
    type: 'string',
    value: 'inference|train',
    default: 'inference',
    description: 'time a forward pass, or a forward + backward pass',
  },
  iterations: { type: 'string', value: 'N', default: '5', description: 'timed iterations' },
  warmup: { type: 'string', value: 'N', default: '1', description: 'untimed iterations first' },
  classes: { type: 'string', value: 'K', default: '1000', description: 'classes of the head' },
  breakdown: {
    type: 'boolean',
    default: false,
    description:
      'also time the convolutions, GroupNorms and standardisations one by one: the share of each, the rest is glue (tfjs engine)',
  },
  'skip-analysis': {
    type: 'boolean',
    default: false,
    description:
      'report images/s only: no raw conv rate or profiled step (saves a step and a replay on slow backends)',
  },
  backend: BACKEND_FLAG,
  engine: {
    ...ENGINE_FLAG,
    description:
      'tfjs (the --backend), or onnx (the random weights exported in memory; inference only)',
  },
  threads: THREADS_FLAG,
  workers: {
    type: 'string',
    value: 'N',
    description: "train mode: the training loop's gradients over N threads (1: in this thread)",
    defaultText: 'the plain forward + backward pass, in this thread',
  },
  'batch-split': {
    type: 'string',
    value: 'N',
    description:
      'train mode: each batch as N micro-batches, gradients accumulated as bit finetune --batch-split does (with --workers, each thread takes a run of them)',
    defaultText: 'one micro-batch',
  },
  json: JSON_FLAG,
} as const;

/** Runs `fn` `warmup` times, then `iterations` times, returning seconds per iteration. */
async function time(
  fn: () => Promise<void>,
  warmup: number,
  iterations: number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/** `bit bench`: images/s of inference or training steps on random weights (no download). */
export const benchCommand: Command = {
  name: 'bench',
  usage,
  summary: 'images/s of inference or a training step on random weights of an architecture',
  flags,
  async run(argv) {
    const { values } = parseCommandArgs(argv, flags, usage, { positionals: false });
    const mode = choiceFlag(values.mode, 'mode', ['inference', 'train'], usage)!;
    const size = numberFlag(values['image-size'], 'image-size', usage, { integer: true, min: 8 })!;
    const batch = numberFlag(values.batch, 'batch', usage, { integer: true, min: 1 })!;
    const iterations = numberFlag(values.iterations, 'iterations', usage, {
      integer: true,
      min: 1,
    })!;
    const warmup = numberFlag(values.warmup, 'warmup', usage, { integer: true, min: 0 })!;
    const classes = numberFlag(values.classes, 'classes', usage, { integer: true, min: 1 })!;
    const workers = numberFlag(values.workers, 'workers', usage, { integer: true, min: 1 });
    const arch = parseArchitectureName(values.model ?? 'R50x1', classes);
    const engine = engineFlags(values, usage, { backendBuilds: true });
    if (engine.engine !== 'tfjs' && mode !== 'inference') {
      throw new UsageError(
        `--engine ${engine.engine} times inference only (--mode inference)`,
        usage,
      );
    }
    if (workers !== undefined && mode !== 'train') {
      throw new UsageError('--workers applies to --mode train only', usage);
    }
    const batchSplit = numberFlag(values['batch-split'], 'batch-split', usage, {
      integer: true,
      min: 1,
    });
    if (batchSplit !== undefined && mode !== 'train') {
      throw new UsageError('--batch-split applies to --mode train only', usage);
    }
    if (batchSplit !== undefined && batchSplit > batch) {
      throw new UsageError(
        `--batch-split (${batchSplit}) must not exceed --batch (${batch})`,
        usage,
      );
    }
    if (values.breakdown && (values['skip-analysis'] || engine.engine !== 'tfjs')) {
      throw new UsageError(
        values['skip-analysis']
          ? 'give --breakdown or --skip-analysis, not both'
          : `--breakdown times tfjs components; the ${engine.engine} engine has none`,
        usage,
      );
    }
    const backend = await selectBackend(values.backend, usage);
    const model = buildResNetV2(arch);
    const onnx =
      engine.engine === 'onnx'
        ? await OnnxBiTModel.create(await exportOnnx(model), engineLoadOptions(engine))
        : undefined;
    const x = tf.randomUniform([batch, size, size, 3]) as tf.Tensor4D;
    const labels = tf.oneHot(
      tf.randomUniform([batch], 0, classes, 'int32') as tf.Tensor1D,
      classes,
    );
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const pixels = onnx ? ((await x.data()) as Float32Array) : undefined;
    const parallel =
      (workers !== undefined || batchSplit !== undefined) && mode === 'train'
        ? await benchTrainStep(model, x, labels, {
            workers: workers ?? 1,
            batchSplit: batchSplit ?? 1,
            backend,
          })
        : undefined;
    const step = onnx
      ? async () => {
          await onnx.run(pixels!, [batch, size, size, 3]);
        }
      : parallel
        ? parallel.step
        : mode === 'inference'
          ? async () => {
              const y = model.predict(x) as tf.Tensor;
              await y.data();
              y.dispose();
            }
          : async () => {
              const { value, grads } = tf.variableGrads(
                () =>
                  tf.losses.softmaxCrossEntropy(
                    labels,
                    model.apply(x, { training: true }) as tf.Tensor,
                  ) as tf.Scalar,
                weights,
              );
              await value.data();
              tf.dispose([value, ...Object.values(grads)]);
            };
    log(
      `bench ${values.model} ${mode} ${size}px batch ${batch} on ${onnx ? `onnxruntime (${onnx.threads} threads)` : tf.getBackend()} (${iterations} iterations)`,
    );
    // The largest micro-batch one backend holds: a split's, or a replica's shard of the batch.
    const microBatch = Math.ceil(batch / Math.max(batchSplit ?? 1, workers ?? 1));
    const seconds = await time(step, warmup, iterations)
      .catch((err: unknown) => {
        if (mode !== 'train' || backend !== 'wasm') throw err;
        const memoryArch = { ...arch, parameters: model.countParams() };
        const flag = batchSplit !== undefined ? `--batch-split ${batchSplit}` : `--batch ${batch}`;
        throw explainWasmHeapError(err, memoryArch, size, microBatch, flag, usage);
      })
      .finally(() => parallel?.close());
    seconds.sort((a, b) => a - b);
    const median = seconds[Math.floor(seconds.length / 2)];
    const analysis = await analyse(model, x, step, median, {
      skip: values['skip-analysis'] === true,
      train: mode === 'train',
      breakdown: values.breakdown === true,
      // Other engines and worker threads: FLOPs and RSS only (the profile sees this thread).
      tfjs: onnx === undefined && parallel === undefined,
    });
    const result = {
      model: values.model,
      mode,
      backend: onnx ? 'onnx' : backend,
      engine: engine.engine,
      ...(onnx ? { threads: onnx.threads } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(batchSplit !== undefined ? { batchSplit } : {}),
      imageSize: size,
      batch,
      iterations,
      parameters: model.countParams(),
      secondsPerIteration: median,
      imagesPerSecond: batch / median,
      minSeconds: seconds[0],
      maxSeconds: seconds[seconds.length - 1],
      ...analysis,
    };
    tf.dispose([x, labels]);
    model.dispose();
    await onnx?.dispose();
    if (values.json) printJson(result);
    else
      process.stdout.write(
        `${result.imagesPerSecond.toFixed(2)} images/s (${median.toFixed(3)} s per batch)\n` +
          describeAnalysis(analysis),
      );
    return 0;
  },
};
