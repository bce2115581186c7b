/**
 * A tf.io IOHandler for a TF.js model directory on disk (model.json + weight shards), for
 * Node without tfjs-node. Saves are atomic: the new model is written and fsynced in a
 * temporary sibling directory, then renamed into place. Node-only.
 */
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';

import { TfjsFormatError } from './errors';
import { checkShardPath, parseModelJson, weightsByteLength } from './manifest';
import { MODEL_JSON } from './sniff';
import {
  checkShardBytes,
  DEFAULT_SHARD_BYTES,
  shardFileNames,
  splitWeightData,
  weightDataByteLength,
} from './shards';
import { errnoCode, nodeFileSystem, type TfjsFileSystem } from './node-file-system';

/** Options of fileSystemHandler. */
export interface FileSystemHandlerOptions {
  /**
   * Largest shard written, in bytes. By default weight data that arrives as a list of buffers
   * (as saveTfjs sends it) is written one file per buffer, and a single buffer (a plain
   * `model.save(handler)`) is cut into 4 MiB shards; when set, all data is cut to this size.
   */
  shardBytes?: number;
  /** File system to use (default Node's `node:fs/promises`); for tests and virtual disks. */
  fs?: TfjsFileSystem;
}

/** Entry names a directory may hold for a save to replace it (besides the model.json). */
const SHARD_NAME = /^group\d+-shard\d+of\d+(\.bin)?$/;

/** The model.json for `artifacts` (as tf.io's own handlers write it). */
function modelJsonFor(
  artifacts: tf.io.ModelArtifacts,
  weightsManifest: tf.io.WeightsManifestConfig,
): tf.io.ModelJSON {
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest,
  };
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null)
    json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) {
    json.initializerSignature = artifacts.initializerSignature;
  }
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  return json;
}

function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes.buffer as ArrayBuffer;
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * tf.io handler for a TF.js model on disk: `dir` is the model's directory (model.json +
 * `group1-shardIofN.bin`), or the path of the model.json itself (any name ending in `.json`;
 * its directory is the model's directory). Use with saveTfjs / loadTfjs, or directly with
 * `model.save(handler)` and `tfl.loadLayersModel(handler)`.
 */
export class FileSystemHandler implements tf.io.IOHandler {
  /** The model's directory. */
  readonly directory: string;
  /** The model.json's path. */
  readonly modelJsonPath: string;
  private readonly jsonName: string;
  private readonly fs: TfjsFileSystem;
  private readonly shardBytes: number | undefined;

  constructor(target: string, options: FileSystemHandlerOptions = {}) {
    if (typeof target !== 'string' || target.length === 0) {
      throw new TfjsFormatError('bad-option', String(target), 'fileSystemHandler needs a path');
    }
    const resolved = path.resolve(target);
    if (/\.json$/i.test(resolved)) {
      this.directory = path.dirname(resolved);
      this.jsonName = path.basename(resolved);
    } else {
      this.directory = resolved;
      this.jsonName = MODEL_JSON;
    }
    this.modelJsonPath = path.join(this.directory, this.jsonName);
    this.shardBytes =
      options.shardBytes === undefined ? undefined : checkShardBytes(options.shardBytes, target);
    this.fs = options.fs ?? nodeFileSystem;
  }

  /**
   * Writes model.json and the shards into a temporary sibling directory, fsyncs them, then
   * swaps it into place (the old directory is renamed aside and removed once the new one
   * is in place). A failure leaves the previous model as it was and no temporary directory.
   * @throws TfjsFormatError `bad-artifacts`, `unsafe-target` (the directory holds files
   *   other than a TF.js model's), `write-failed`.
   */
  save = async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new TfjsFormatError(
        'bad-artifacts',
        this.directory,
        'binary (GraphModel) topologies are not supported; a LayersModel has a JSON topology',
      );
    }
    const specs = artifacts.weightSpecs ?? [];
    const dataBytes = weightDataByteLength(artifacts.weightData);
    const specBytes = weightsByteLength(specs);
    if (specBytes !== undefined && specBytes !== dataBytes) {
      throw new TfjsFormatError(
        'bad-artifacts',
        this.directory,
        `weight data holds ${dataBytes} bytes but the weight specs need ${specBytes}`,
      );
    }
    const shards = this.shardsOf(artifacts.weightData);
    const names = shardFileNames(shards.length);
    const manifest: tf.io.WeightsManifestConfig =
      artifacts.weightData === undefined && artifacts.weightSpecs === undefined
        ? []
        : [{ paths: names, weights: specs }];
    const modelJson = modelJsonFor(artifacts, manifest);
    const jsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));

    await this.checkTarget();
    const parent = path.dirname(this.directory);
    const base = path.basename(this.directory);
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmp = path.join(parent, `.${base}.tmp-${tag}`);
    try {
      await this.fs.mkdir(parent, { recursive: true });
      await this.fs.mkdir(tmp, { recursive: false });
      for (let i = 0; i < shards.length; i++) {
        await this.writeSynced(path.join(tmp, names[i]), new Uint8Array(shards[i]));
      }
      await this.writeSynced(path.join(tmp, this.jsonName), jsonBytes);
      await this.syncDirectory(tmp);
    } catch (err) {
      await this.removeQuietly(tmp);
      throw new TfjsFormatError(
        'write-failed',
        this.directory,
        `writing the model failed (${(err as Error).message}); the previous model is unchanged`,
        { cause: err },
      );
    }
    await this.swapIntoPlace(tmp, path.join(parent, `.${base}.old-${tag}`));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  };

  /**
   * Reads model.json and the shards its weightsManifest lists (paths relative to model.json).
   * @throws TfjsFormatError `model-json-not-found`, `invalid-json`, `bad-model-json`,
   *   `shard-not-found` (naming the shard), `shard-size-mismatch`, `read-failed`.
   */
  load = async (): Promise<tf.io.ModelArtifacts> => {
    let jsonBytes: Uint8Array;
    try {
      jsonBytes = await this.fs.readFile(this.modelJsonPath);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw new TfjsFormatError(
          'model-json-not-found',
          this.modelJsonPath,
          `no ${this.jsonName} here (${code})`,
          { cause: err },
        );
      }
      throw new TfjsFormatError('read-failed', this.modelJsonPath, (err as Error).message, {
        cause: err,
      });
    }
    const modelJson = parseModelJson(new TextDecoder().decode(jsonBytes), this.modelJsonPath);
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const weightData: ArrayBuffer[] = [];
    for (const group of modelJson.weightsManifest) {
      const files: { file: string; bytes: number }[] = [];
      for (const shardPath of group.paths) {
        const file = path.join(this.directory, checkShardPath(shardPath, this.modelJsonPath));
        const bytes = await this.readShard(file);
        files.push({ file: path.basename(file), bytes: bytes.byteLength });
        weightData.push(exactArrayBuffer(bytes));
      }
      const expected = weightsByteLength(group.weights);
      const actual = files.reduce((n, f) => n + f.bytes, 0);
      if (expected !== undefined && expected !== actual) {
        const list = files.map((f) => `${f.file}: ${f.bytes} B`).join(', ') || 'no shard files';
        throw new TfjsFormatError(
          'shard-size-mismatch',
          files.length > 0
            ? path.join(this.directory, files[files.length - 1].file)
            : this.modelJsonPath,
          `the shards of weight group [${group.paths.join(', ')}] hold ${actual} bytes (${list}) ` +
            `but the manifest's weights need ${expected}`,
        );
      }
      weightSpecs.push(...group.weights);
    }
    return tf.io.getModelArtifactsForJSONSync(modelJson, weightSpecs, weightData);
  };

  private shardsOf(weightData: tf.io.WeightData | undefined): ArrayBuffer[] {
    if (weightData === undefined) return [];
    if (this.shardBytes !== undefined) return splitWeightData(weightData, this.shardBytes);
    if (Array.isArray(weightData)) return weightData.filter((b) => b.byteLength > 0);
    return splitWeightData(weightData, DEFAULT_SHARD_BYTES);
  }

  private async readShard(file: string): Promise<Uint8Array> {
    try {
      return await this.fs.readFile(file);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new TfjsFormatError(
          'shard-not-found',
          file,
          `weight shard ${path.basename(file)} listed in ${this.jsonName} is missing`,
          { cause: err },
        );
      }
      throw new TfjsFormatError('read-failed', file, (err as Error).message, { cause: err });
    }
  }

  /** Refuses to replace a directory that holds anything but a TF.js model's files. */
  private async checkTarget(): Promise<void> {
    let isDirectory: boolean;
    try {
      isDirectory = (await this.fs.stat(this.directory)).isDirectory();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw new TfjsFormatError('write-failed', this.directory, (err as Error).message, {
        cause: err,
      });
    }
    if (!isDirectory) {
      throw new TfjsFormatError(
        'unsafe-target',
        this.directory,
        'exists and is not a directory; refusing to replace it',
      );
    }
    const entries = await this.fs.readdir(this.directory);
    const listed = await this.listedShards();
    const foreign = entries.filter(
      (e) => e !== this.jsonName && !SHARD_NAME.test(e) && !listed.has(e),
    );
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', ...' : '');
      throw new TfjsFormatError(
        'unsafe-target',
        this.directory,
        `holds files that are not part of a TF.js model (${shown}); a save replaces the whole ` +
          'directory, so choose a new or empty one',
      );
    }
  }

  /** Shard file names listed by the model.json already in the directory, if readable. */
  private async listedShards(): Promise<Set<string>> {
    try {
      const json = parseModelJson(
        new TextDecoder().decode(await this.fs.readFile(this.modelJsonPath)),
        this.modelJsonPath,
      );
      return new Set(
        json.weightsManifest.flatMap((g) =>
          g.paths.map((p) => checkShardPath(p, this.modelJsonPath)),
        ),
      );
    } catch {
      return new Set();
    }
  }

  private async swapIntoPlace(tmp: string, aside: string): Promise<void> {
    let movedAside = false;
    try {
      try {
        await this.fs.rename(this.directory, aside);
        movedAside = true;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      await this.fs.rename(tmp, this.directory);
    } catch (err) {
      if (movedAside) {
        try {
          await this.fs.rename(aside, this.directory);
        } catch {
          // The previous model stays at `aside`; the message says where.
        }
      }
      await this.removeQuietly(tmp);
      throw new TfjsFormatError(
        'write-failed',
        this.directory,
        `moving the new model into place failed (${(err as Error).message})` +
          (movedAside ? `; the previous model is restored (or at ${aside})` : ''),
        { cause: err },
      );
    }
    await this.syncDirectory(path.dirname(this.directory));
    if (movedAside) await this.removeQuietly(aside);
  }

  private async writeSynced(file: string, data: Uint8Array): Promise<void> {
    const handle = await this.fs.open(file, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** fsync of a directory (makes renames durable); not possible on every platform. */
  private async syncDirectory(dir: string): Promise<void> {
    let handle;
    try {
      handle = await this.fs.open(dir, 'r');
      await handle.sync();
    } catch {
      // Windows cannot open directories; the data files themselves are synced.
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  private async removeQuietly(dir: string): Promise<void> {
    try {
      await this.fs.rm(dir, { recursive: true, force: true });
    } catch {
      // Best effort: the model itself is consistent either way.
    }
  }
}

/**
 * A tf.io IOHandler for a TF.js model on disk (see FileSystemHandler): `dir` is the model's
 * directory or the path of its model.json.
 * @example
 *   await saveTfjs(model, fileSystemHandler('out/model'), { dtype: 'float16' });
 *   const loaded = await loadTfjs(fileSystemHandler('out/model'));
 */
export function fileSystemHandler(
  dir: string,
  options: FileSystemHandlerOptions = {},
): FileSystemHandler {
  return new FileSystemHandler(dir, options);
}
