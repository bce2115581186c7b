/**
 * Node-only: the `onnx` engine — BiT models running in onnxruntime-node (an optional peer,
 * imported on first use) behind the predict / features / classify API of the tfjs models.
 */
import { open, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfl from '@tensorflow/tfjs-layers';
import { classify, type ClassifyInput, type ClassifyOptions } from '../api/classify';
import type { BiTEngineModel, EngineOutput, EngineResult } from '../api/engine';
import { exportOnnx } from '../api/export-onnx';
import type { ImageInput } from '../api/inputs';
import type { BiTMetadata } from '../api/metadata';
import { baseName } from '../api/pipeline';
import {
  features,
  predict,
  type FeaturesOptions,
  type Prediction,
  type PredictOptions,
  type TopClass,
} from '../api/predict';
import { validateArchitecture } from '../architecture/spec';
import { BitModelsError, CheckpointFormatError } from '../errors';
import {
  ONNX_INPUT,
  ONNX_LOGITS,
  ONNX_METADATA_KEYS,
  ONNX_PRELOGITS,
} from '../formats/onnx/export';
import { readOnnxExternalLocations } from '../formats/onnx/proto';
import { readOnnxHeader } from '../formats/onnx/proto';

/** The package the `onnx` engine imports, and how to install it. */
export const ONNXRUNTIME_PACKAGE = 'onnxruntime-node';
const INSTALL = `ONNXRUNTIME_NODE_INSTALL=skip npm install ${ONNXRUNTIME_PACKAGE}`;

/** onnxruntime-node is not installed (or failed to load): the message says how to install it. */
export class OnnxRuntimeMissingError extends BitModelsError {
  override name = 'OnnxRuntimeMissingError';
  /** The package that could not be imported. */
  readonly packageName: string;
  constructor(packageName: string, cause: unknown) {
    super(
      `the onnx engine needs the optional package ${packageName}, which could not be loaded (${
        cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
      }); install it with: ${INSTALL} (ONNXRUNTIME_NODE_INSTALL=skip keeps its install script from downloading CUDA files)`,
      { cause },
    );
    this.packageName = packageName;
  }
}

/** The parts of onnxruntime-node's API the engine uses (typed here: the package is optional). */
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, OrtTensor>,
    fetches?: readonly string[],
  ): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array | string, options?: object): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

const runtimes = new Map<string, Promise<OrtModule>>();

/**
 * Imports onnxruntime-node (once per process).
 * @throws OnnxRuntimeMissingError when it is not installed.
 */
export async function loadOnnxRuntime(packageName = ONNXRUNTIME_PACKAGE): Promise<OrtModule> {
  let runtime = runtimes.get(packageName);
  if (!runtime) {
    runtime = import(packageName).then(
      (m: Record<string, unknown>) => (m.InferenceSession ? m : m.default) as OrtModule,
      (error: unknown) => {
        runtimes.delete(packageName);
        throw new OnnxRuntimeMissingError(packageName, error);
      },
    );
    runtimes.set(packageName, runtime);
  }
  return runtime;
}

/** Options of the onnx engine (also accepted by `loadBiT(src, { engine: 'onnx', ... })`). */
export interface OnnxEngineOptions {
  /** onnxruntime intra-op threads (default: the number of cores, `os.availableParallelism()`). */
  threads?: number;
  /** The onnxruntime package to import (default `onnxruntime-node`). */
  onnxruntime?: string;
  /**
   * Let idle intra-op threads spin-wait for work (onnxruntime's `allow_spinning`; default false:
   * on a machine shared with other processes spinning threads slow everyone down, measured 1.6x
   * slower for R50x1 at 128 px with 2 threads on 2 busy cores).
   */
  spin?: boolean;
}

/**
 * A BiT model in onnxruntime (CPU execution provider, default graph optimisations). Its
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
   *   OnnxRuntimeMissingError when onnxruntime-node is not installed.
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
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`onnx engine: threads must be a positive integer, got ${threads}`);
    }
    const ort = await loadOnnxRuntime(options.onnxruntime);
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(options.modelPath ?? bytes, {
        executionProviders: ['cpu'],
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
function onnxMetadata(bytes: Uint8Array, name: string): BiTMetadata {
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

/** True when the file at `path` starts like an ONNX model (a ModelProto with a graph). */
export async function isOnnxFile(path: string): Promise<boolean> {
  if (!/\.onnx$/i.test(path)) return false;
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const buf = new Uint8Array(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    // ir_version (field 1, varint) comes first in every ONNX writer's output.
    return bytesRead > 2 && buf[0] === 0x08;
  } finally {
    await fh.close();
  }
}

/**
 * Loads a BiT model into onnxruntime: an `.onnx` file (or its bytes) written by `exportOnnx` /
 * `bit convert --format onnx`, or a tfjs model (converted in memory).
 */
export async function loadOnnx(
  source: string | URL | Uint8Array | tfl.LayersModel,
  options: OnnxEngineOptions = {},
): Promise<OnnxBiTModel> {
  if (source instanceof Uint8Array) return OnnxBiTModel.create(source, options);
  if (typeof source === 'string' || source instanceof URL) {
    const path =
      source instanceof URL || source.startsWith('file:') ? fileURLToPath(source) : source;
    const bytes = new Uint8Array(await readFile(path));
    // External data files beside the model (`saveBiT(..., { externalData: true })`, other
    // exporters' `location`s): checked here, then onnxruntime opens the model by its path and
    // reads them itself (they may exceed what one Node buffer can hold).
    const locations = readOnnxExternalLocations(bytes) ?? [];
    for (const location of locations) {
      const file = join(dirname(path), location);
      const opened = await open(file, 'r').catch((error: Error) => error);
      if (opened instanceof Error) {
        throw new CheckpointFormatError(
          'not-a-checkpoint',
          baseName(path),
          undefined,
          `its external data file ${location} cannot be read: ${opened.message}`,
          { cause: opened },
        );
      }
      await opened.close();
    }
    return OnnxBiTModel.create(bytes, {
      ...options,
      name: baseName(path),
      ...(locations.length > 0 ? { modelPath: path } : {}),
    });
  }
  return OnnxBiTModel.create(await exportOnnx(source), options);
}
