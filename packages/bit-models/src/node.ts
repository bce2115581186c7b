/**
 * @bit/models/node: everything in `@bit/models`, plus Node-only parts — file paths, the
 * download cache, .npz files on disk, TF.js model folders — and a `loadBiT` that takes them.
 */
export * from './index.js';
export * from './io/node.js';
export * from './formats/npz/node.js';
export * from './formats/tfjs/node.js';
export * from './download/node.js';
export { loadBiT, verifyNpzFile, type NodeLoadBiTOptions } from './node/load.js';
export { saveBiT, type SaveBiTOptions } from './node/save.js';
