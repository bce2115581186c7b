/**
 * The `onnx` engine, isomorphic: a BiT model's ONNX export running in onnxruntime (onnxruntime-
 * node in Node, via `@bit/models/node`; onnxruntime-web in the browser, passed in by the
 * application) behind the predict / features / classify API of the tfjs models.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { classify, type ClassifyInput, type ClassifyOptions } from './classify';
import type { BiTEngineModel, EngineOutput, EngineResult } from './engine';
import { exportOnnx } from './export-onnx';
import type { ImageInput } from './inputs';
import type { BiTMetadata } from './metadata';
import {
  features,
  predict,
  type FeaturesOptions,
  type Prediction,
  type PredictOptions,
  type TopClass,
} from './predict';
import { validateArchitecture } from '../architecture/spec';
import { BitModelsError, CheckpointFormatError } from '../errors';
import {
  ONNX_INPUT,
  ONNX_LOGITS,
  ONNX_METADATA_KEYS,
  ONNX_PRELOGITS,
} from '../formats/onnx/export';
import { readOnnxHeader } from '../formats/onnx/proto';

/**
 * onnxruntime is not available: not installed or failed to load (Node), or not passed in (the
 * browser). The message says what to install or pass.
 */
export class OnnxRuntimeMissingError extends BitModelsError {
  override name = 'OnnxRuntimeMissingError';
  /** The package that could not be imported (or that the caller should pass in). */
  readonly packageName: string;
  constructor(packageName: string, cause: unknown, howTo: string) {
    super(
      `the onnx engine needs the optional package ${packageName}, which could not be loaded (${
        cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
      }); ${howTo}`,
      { cause },
    );
    this.packageName = packageName;
  }
}

/** The parts of onnxruntime's API (onnxruntime-node and -web alike) the engine uses (typed here: the packages are optional). */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, OrtTensor>,
    fetches: readonly string[],
  ): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array | string, options?: object): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/** Options of the onnx engine (also accepted by `loadBiT(src, { engine: 'onnx', ... })`). */
export interface OnnxEngineOptions {
  /**
   * onnxruntime intra-op threads (default in Node: the number of cores). onnxruntime-web takes
   * its threads from `ort.env.wasm.numThreads` instead.
   */
  threads?: number;
  /**
   * The onnxruntime module (`import * as ort from 'onnxruntime-web'` in the browser, where it
   * is required), or in Node the package to import (default `onnxruntime-node`).
   */
  onnxruntime?: string | OrtModule;
  /**
   * Let idle intra-op threads spin-wait for work (onnxruntime's `allow_spinning`; default false:
   * on a machine shared with other processes spinning threads slow everyone down, measured 1.6x
   * slower for R50x1 at 128 px with 2 threads on 2 busy cores).
   */
  spin?: boolean;
  /** onnxruntime execution providers (default `['cpu']` in Node, onnxruntime-web's own default). */
  executionProviders?: readonly string[];
}

/** How `OnnxBiTModel.create` imports onnxruntime when not given a module (set by the Node entry). */
export interface OnnxRuntimeDefaults {
  /** Imports the named package (or the default one). */
  load(packageName?: string): Promise<OrtModule>;
  /** Default intra-op threads. */
  threads(): number;
  /** Default execution providers. */
  executionProviders: readonly string[];
}

let runtimeDefaults: OnnxRuntimeDefaults | undefined;

/** Sets how onnxruntime is found when `onnxruntime` is no module (`@bit/models/node` does). */
export function setOnnxRuntimeDefaults(defaults: OnnxRuntimeDefaults): void {
  runtimeDefaults = defaults;
}

/**
 * A BiT model in onnxruntime (Node: CPU; browser: onnxruntime-web's wasm), default graph optimisations. Its
 * `predict`, `features` and `classify` take the same inputs and give the same results as the
 * library functions on a tfjs model; the library functions also take it.
 */
export class OnnxBiTModel implements BiTEngineModel {
  readonly engine = 'onnx';

  private constructor(
    private readonly session: OrtSession,
    private readonly ort: OrtModule,
    /** Architecture, labels, resolution and source (from the ONNX metadata_props). */
    readonly metadata: BiTMetadata,
    /** Intra-op threads of the session. */
    readonly threads: number,
  ) {}

  /**
   * Starts an onnxruntime session on ONNX bytes written by `exportOnnx` (the session holds its
   * own copy: the bytes are not kept; write them with `saveOnnx` first if needed).
   * @throws CheckpointFormatError when the bytes are no BiT ONNX model;
   *   OnnxRuntimeMissingError when onnxruntime is not installed (Node) or not passed (browser).
   */
  static async create(
    bytes: Uint8Array,
    options: OnnxEngineOptions & {
      name?: string;
      /**
       * The model's file, for onnxruntime to open itself (models with external data: it then
       * reads the data files beside it); `bytes` still give the metadata.
       */
      modelPath?: string;
    } = {},
  ): Promise<OnnxBiTModel> {
    const name = options.name ?? 'model.onnx';
    const metadata = onnxMetadata(bytes, name);
    const given = typeof options.onnxruntime === 'object' ? options.onnxruntime : undefined;
    const defaults = given ? undefined : runtimeDefaults;
    if (!given && !defaults) {
      throw new OnnxRuntimeMissingError(
        'onnxruntime-web',
        'no onnxruntime module was passed',
        "pass it: import * as ort from 'onnxruntime-web'; loadBiT(src, { engine: 'onnx', onnxruntime: ort }) (npm install onnxruntime-web); in Node import from '@bit/models/node'",
      );
    }
    const threads = options.threads ?? defaults?.threads() ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`onnx engine: threads must be a positive integer, got ${threads}`);
    }
    const ort = given ?? (await defaults!.load(options.onnxruntime as string | undefined));
    const providers = options.executionProviders ?? defaults?.executionProviders;
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(options.modelPath ?? bytes, {
        ...(providers ? { executionProviders: [...providers] } : {}),
        intraOpNumThreads: threads,
        extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' } } },
      });
    } catch (error) {
      throw new CheckpointFormatError(
        'not-a-checkpoint',
        name,
        undefined,
        `onnxruntime could not load the model: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (!session.inputNames.includes(ONNX_INPUT) || !session.outputNames.includes(ONNX_PRELOGITS)) {
      await session.release();
      throw new CheckpointFormatError(
        'not-a-checkpoint',
        name,
        undefined,
        `not a BiT ONNX model: it needs an input '${ONNX_INPUT}' and an output '${ONNX_PRELOGITS}'`,
      );
    }
    return new OnnxBiTModel(session, ort, metadata, threads);
  }

  /** Runs one NHWC batch (float32 in [0, 1]); `logits` of a headless model are its pre-logits. */
  async run(
    images: Float32Array,
    shape: readonly [number, number, number, number],
    output: EngineOutput = 'logits',
  ): Promise<EngineResult> {
    const name =
      output === 'logits' && this.session.outputNames.includes(ONNX_LOGITS)
        ? ONNX_LOGITS
        : ONNX_PRELOGITS;
    const input = new this.ort.Tensor('float32', images, shape);
    const result = await this.session.run({ [ONNX_INPUT]: input }, [name]);
    const out = result[name];
    const data = out.data as Float32Array;
    const dims = out.dims;
    input.dispose?.();
    return { data, shape: [dims[0], dims[1]] };
  }

  /** Top-K classes of image tensors, as `predict(tfjsModel, ...)`. */
  predict(images: ImageInput, options?: PredictOptions): Promise<Prediction[]> {
    return predict(this, images, options);
  }

  /** Pre-logits features of image tensors, as `features(tfjsModel, ...)`. */
  features(images: ImageInput, options?: FeaturesOptions): Promise<Float32Array[]> {
    return features(this, images, options);
  }

  /** Classifies files, URLs, Blobs or tensors, as `classify(tfjsModel, ...)`. */
  classify(input: ClassifyInput, options?: ClassifyOptions): Promise<TopClass[]>;
  classify(input: readonly ClassifyInput[], options?: ClassifyOptions): Promise<TopClass[][]>;
  classify(
    input: ClassifyInput | readonly ClassifyInput[],
    options?: ClassifyOptions,
  ): Promise<TopClass[] | TopClass[][]> {
    return classify(this, input as ClassifyInput, options);
  }

  /** Releases the onnxruntime session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The BiT metadata stored in an ONNX model's metadata_props. */
export function onnxMetadata(bytes: Uint8Array, name: string): BiTMetadata {
  const header = readOnnxHeader(bytes);
  if (!header) {
    throw new CheckpointFormatError('not-a-checkpoint', name, undefined, 'not an ONNX model');
  }
  const text = header.metadata[ONNX_METADATA_KEYS.bit];
  if (text === undefined) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      name,
      undefined,
      `an ONNX model without BiT metadata (metadata_props '${ONNX_METADATA_KEYS.bit}'): export it with bit convert --format onnx`,
    );
  }
  try {
    const meta = JSON.parse(text) as BiTMetadata;
    return { ...meta, architecture: validateArchitecture(meta.architecture) };
  } catch (error) {
    throw new CheckpointFormatError(
      'not-a-checkpoint',
      name,
      undefined,
      `bad BiT metadata in the ONNX model: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * A tfjs BiT model exported in memory and started in onnxruntime; the tfjs model is disposed
 * (whatever happens).
 */
export async function onnxModelFromTfjs(
  model: tfl.LayersModel,
  options: OnnxEngineOptions = {},
): Promise<OnnxBiTModel> {
  let bytes: Uint8Array;
  try {
    bytes = await exportOnnx(model);
  } finally {
    model.dispose();
  }
  return OnnxBiTModel.create(bytes, options);
}

/** An .onnx model's head and labels are fixed: refuses `numClasses` / `labels` options. */
export function refuseOnnxHeadOptions(options: { numClasses?: number; labels?: unknown }): void {
  if (options.numClasses !== undefined || options.labels !== undefined) {
    throw new RangeError(
      'loadBiT: numClasses and labels cannot change an .onnx model; convert the checkpoint instead',
    );
  }
}
