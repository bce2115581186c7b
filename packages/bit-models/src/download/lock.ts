/**
 * Node-only: an advisory lock file that keeps two downloads of the same checkpoint (in one
 * process or several) from writing the same part file.
 *
 * The lock is `<final>.lock`, created with `open(..., 'wx')` (O_CREAT | O_EXCL) and holding
 * `{ pid, host, token }` as JSON. The holder refreshes its mtime every few seconds
 * (heartbeat). A lock is stale, and taken over, when its pid is not alive on this host, or
 * when its mtime is older than `staleMs` (a holder on another host sharing the cache, or a
 * hung one), or when it stays unreadable for a few seconds. Take-over renames the stale file
 * to a unique name first, so of two processes taking over at once only one wins; a process
 * that renamed a fresh lock by mistake puts it back with `link` (which never overwrites).
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { sleep } from '../io/http';

/** Options of {@link acquireFileLock}. */
export interface FileLockOptions {
  /** A lock whose mtime is older than this is stale. Default 120 000 ms. */
  staleMs?: number;
  /** Time between two looks at a busy lock. Default 200 ms. */
  pollMs?: number;
  /** Give up after waiting this long (default: wait as long as the holder lives). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A held lock; `release()` removes it (when it is still ours). */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Thrown by {@link acquireFileLock} when `timeoutMs` passes. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

interface LockContent {
  pid: number;
  host: string;
  token: string;
}

const UNREADABLE_STALE_MS = 5_000;

function isErrno(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

/** True when a process with this pid exists (EPERM: exists, owned by someone else). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
}

function parseLock(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.token === 'string'
    ) {
      return value as LockContent;
    }
  } catch {
    // unreadable
  }
  return undefined;
}

/** Reads a lock and says whether it is stale; undefined when there is no lock. */
async function inspectLock(
  path: string,
  staleMs: number,
): Promise<{ text: string; stale: boolean } | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([
      readFile(path, 'utf8'),
      stat(path).then((s) => s.mtimeMs),
    ]);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const age = Date.now() - mtimeMs;
  const content = parseLock(text);
  if (content === undefined) return { text, stale: age > Math.min(staleMs, UNREADABLE_STALE_MS) };
  const deadHere = content.host === hostname() && !isPidAlive(content.pid);
  return { text, stale: deadHere || age > staleMs };
}

/** Moves a stale lock aside; puts it back if it turned out to be a fresh one. */
async function takeOver(path: string, staleText: string): Promise<void> {
  const grave = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, grave);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  const moved = await readFile(grave, 'utf8').catch(() => staleText);
  if (moved !== staleText) await link(grave, path).catch(() => undefined);
  await unlink(grave).catch(() => undefined);
}

/**
 * Acquires the lock file at `path`, waiting while a live holder has it and taking over
 * stale ones (see the module comment). Rejects with {@link LockTimeoutError} after
 * `timeoutMs`, or with the signal's reason when aborted.
 */
export async function acquireFileLock(
  path: string,
  options: FileLockOptions = {},
): Promise<FileLock> {
  const staleMs = options.staleMs ?? 120_000;
  const pollMs = options.pollMs ?? 200;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const content: LockContent = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(12).toString('hex'),
  };
  const text = JSON.stringify(content);
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(text, 'utf8');
      } finally {
        await handle.close();
      }
      return heldLock(path, text, staleMs);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    const current = await inspectLock(path, staleMs);
    if (current === undefined) continue;
    if (current.stale) {
      await takeOver(path, current.text);
      continue;
    }
    if (Date.now() + pollMs > deadline) {
      throw new LockTimeoutError(`lock "${path}" is held by another download (${current.text})`);
    }
    await sleep(pollMs, options.signal);
  }
}

function heldLock(path: string, text: string, staleMs: number): FileLock {
  const beat = Math.max(50, Math.min(10_000, staleMs / 4));
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, beat);
  timer.unref();
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === text) await unlink(path).catch(() => undefined);
    },
  };
}
