/** Typed errors of the TF.js LayersModel format (model.json + binary weight shards). */
import { BitModelsError } from '../../errors';

/** Why a TF.js model could not be saved or loaded. */
export type TfjsFormatErrorCode =
  /** An option is out of range (dtype, shardBytes). */
  | 'bad-option'
  /** No tf.io handler for a URL, several of them, or a handler without save()/load(). */
  | 'no-handler'
  /** model.json (or the directory holding it) does not exist. */
  | 'model-json-not-found'
  /** model.json is not valid JSON. */
  | 'invalid-json'
  /** model.json is JSON but not a LayersModel description (modelTopology, weightsManifest). */
  | 'bad-model-json'
  /** A weight shard listed in weightsManifest does not exist. */
  | 'shard-not-found'
  /** The shards of a manifest group do not hold the bytes the group's weights need. */
  | 'shard-size-mismatch'
  /** The artifacts handed to a save handler are malformed (binary topology, odd sizes). */
  | 'bad-artifacts'
  /** Writing the model failed (the previous model, if any, is left in place). */
  | 'write-failed'
  /** Reading a file failed for a reason other than its absence. */
  | 'read-failed'
  /** The save target exists and holds files that are not a TF.js model's: refused. */
  | 'unsafe-target';

/**
 * A TF.js model (model.json + shards) could not be saved or loaded. `path` names the
 * file, directory or URL concerned (model.json, a shard, the target directory).
 */
export class TfjsFormatError extends BitModelsError {
  override readonly name = 'TfjsFormatError';
  /** Machine-readable reason. */
  readonly code: TfjsFormatErrorCode;
  /** The file, directory or URL the error concerns. */
  readonly path: string;

  constructor(
    code: TfjsFormatErrorCode,
    path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    // Writing a model can fail for want of disk space: that is not the input's fault.
    super(`tfjs model "${path}": ${detail} [${code}]`, {
      cause: options?.cause,
      inputError: code !== 'write-failed',
    });
    this.code = code;
    this.path = path;
  }
}
