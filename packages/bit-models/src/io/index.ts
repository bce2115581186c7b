/** Isomorphic byte sources and sinks (no Node modules: FileByteSource/FileSink live in node.ts). */
export type { ByteSource, ByteSink } from './byte-source.js';
export { checkReadRange } from './byte-source.js';
export { MemoryByteSource } from './memory-source.js';
export { BlobByteSource } from './blob-source.js';
export { HttpRangeByteSource, type HttpRangeByteSourceOptions } from './http-range-source.js';
export { MemorySink } from './memory-sink.js';
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
} from './http.js';
