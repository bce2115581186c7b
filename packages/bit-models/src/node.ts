/**
 * @bit/models/node: everything in `@bit/models`, plus Node-only parts — file paths, the
 * download cache, .npz files on disk, TF.js model folders — and a `loadBiT` that takes them.
 */
export * from './index';
export * from './io/node';
export * from './formats/npz/node';
export * from './formats/tfjs/node';
export * from './download/node';
export { loadBiT, verifyNpzFile, type NodeLoadBiTOptions } from './node/load';
export { saveBiT, type SaveBiTOptions } from './node/save';
