/**
 * The TF.js LayersModel format (model.json + binary weight shards): isomorphic save, load and
 * sniff through tf.io handlers. The Node file-system handler lives in `./node`.
 */
export { TfjsFormatError } from './errors';
export type { TfjsFormatErrorCode } from './errors';
export { saveTfjs, prepareTfjsArtifacts } from './save';
export type { SaveTfjsOptions, TfjsWeightDtype } from './save';
export { loadTfjs } from './load';
export { tfjsUrlHandler, type TfjsUrlHandlerOptions } from './url-handler';
export type { LoadTfjsOptions } from './load';
export { sniffTfjs, MODEL_JSON } from './sniff';
export { DEFAULT_SHARD_BYTES, shardFileNames } from './shards';
export { parseModelJson } from './manifest';
