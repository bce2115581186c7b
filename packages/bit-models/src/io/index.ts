/** Isomorphic byte sources and sinks (no Node modules: FileByteSource/FileSink live in node.ts). */
export type { ByteSource, ByteSink } from './byte-source';
export { checkReadRange } from './byte-source';
export { MemoryByteSource } from './memory-source';
export { BlobByteSource } from './blob-source';
export { HttpRangeByteSource, type HttpRangeByteSourceOptions } from './http-range-source';
export { MemorySink } from './memory-sink';
