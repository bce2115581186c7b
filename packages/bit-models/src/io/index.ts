/** Isomorphic byte sources and sinks (no Node modules: FileByteSource/FileSink live in node.ts). */
export type { ByteSource, ByteSink } from './byte-source';
export { checkReadRange } from './byte-source';
export { MemoryByteSource } from './memory-source';
export { BlobByteSource } from './blob-source';
export { HttpRangeByteSource, type HttpRangeByteSourceOptions } from './http-range-source';
export { MemorySink } from './memory-sink';
export {
  backoffMs,
  contentLength,
  HttpError,
  httpRequest,
  httpRequestWithRetry,
  isRetryableStatus,
  parseContentRange,
  rangeHeader,
  readBody,
  readChunks,
  withRetry,
  type ContentRange,
  type HttpErrorCode,
  type HttpRequestOptions,
  type ReadBodyOptions,
  type RetryOptions,
} from './http';
