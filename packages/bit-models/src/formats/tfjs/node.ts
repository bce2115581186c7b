/** Node-only part of the TF.js format: a tf.io handler for a model directory on disk. */
export { FileSystemHandler, fileSystemHandler } from './node-file-handler';
export type { FileSystemHandlerOptions } from './node-file-handler';
export { nodeFileSystem } from './node-file-system';
export type { TfjsFileSystem, TfjsWritableFile } from './node-file-system';
export { sniffTfjsPath } from './node-sniff';
