/**
 * The few file-system calls the TF.js file handler makes, as an interface (Node's
 * `node:fs/promises` satisfies it), so tests and hosts can substitute their own.
 * Node-only.
 */
import * as fsp from 'node:fs/promises';

/** An open file, as far as the handler writes it. */
export interface TfjsWritableFile {
  /** Writes all of `data`. */
  writeFile(data: Uint8Array): Promise<void>;
  /** Flushes the file to stable storage (fsync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** File-system operations used by fileSystemHandler (a subset of `node:fs/promises`). */
export interface TfjsFileSystem {
  readFile(path: string): Promise<Uint8Array>;
  /** Opens a file (`'w'` to create/truncate for writing, `'r'` to open a directory for fsync). */
  open(path: string, flags: 'w' | 'r'): Promise<TfjsWritableFile>;
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void>;
  stat(path: string): Promise<{ isDirectory(): boolean; size: number }>;
  readdir(path: string): Promise<string[]>;
}

/** Node's file system. */
export const nodeFileSystem: TfjsFileSystem = {
  readFile: (path) => fsp.readFile(path),
  open: (path, flags) => fsp.open(path, flags),
  mkdir: (path, options) => fsp.mkdir(path, options),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
  stat: (path) => fsp.stat(path),
  readdir: (path) => fsp.readdir(path),
};

/** The `code` of a Node system error (`ENOENT`, ...), if any. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
