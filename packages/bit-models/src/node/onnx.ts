/**
 * Node-only parts of the `onnx` engine: onnxruntime-node (an optional peer, imported on first
 * use) as the default runtime, `.onnx` files (with their external data) and `loadOnnx`. The
 * engine itself (`OnnxBiTModel`) is isomorphic (api/onnx-engine.ts).
 */
import { open, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfl from '@tensorflow/tfjs-layers';
import { exportOnnx } from '../api/export-onnx';
import {
  OnnxBiTModel,
  OnnxRuntimeMissingError,
  setOnnxRuntimeDefaults,
  type OnnxEngineOptions,
  type OrtModule,
} from '../api/onnx-engine';
import { baseName } from '../api/pipeline';
import { CheckpointFormatError } from '../errors';
import { readOnnxExternalLocations } from '../formats/onnx/proto';

/** The package the `onnx` engine imports in Node, and how to install it. */
export const ONNXRUNTIME_PACKAGE = 'onnxruntime-node';
const INSTALL = `install it with: ONNXRUNTIME_NODE_INSTALL=skip npm install ${ONNXRUNTIME_PACKAGE} (ONNXRUNTIME_NODE_INSTALL=skip keeps its install script from downloading CUDA files)`;

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
        throw new OnnxRuntimeMissingError(packageName, error, INSTALL);
      },
    );
    runtimes.set(packageName, runtime);
  }
  return runtime;
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

setOnnxRuntimeDefaults({
  load: loadOnnxRuntime,
  threads: availableParallelism,
  executionProviders: ['cpu'],
});

export { OnnxBiTModel, OnnxRuntimeMissingError, type OnnxEngineOptions };
