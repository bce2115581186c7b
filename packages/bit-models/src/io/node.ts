/** Node-only byte source and sink (import from src/node.ts only). */
export { FileByteSource } from './file-source';
export { FileSink } from './file-sink';
