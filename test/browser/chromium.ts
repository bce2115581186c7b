/**
 * Debian Chromium through playwright-core, shared by the browser tests, the e2e suite and the
 * browser benchmark: the path, whether it is there, and a launch with the project's flags
 * (`--enable-unsafe-webgpu` on request) in a fresh profile folder.
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type LaunchOptions } from 'playwright-core';

/** Where CI installs Chromium (apt-get install chromium). */
export const CHROMIUM = process.env.BIT_CHROMIUM ?? '/usr/bin/chromium';

/** True when Chromium is installed. */
export const hasChromium = existsSync(CHROMIUM);

/** The flags every launch uses. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Rejects when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Launches Chromium with a fresh profile in `profileDir`. */
export function launchChromium(
  profileDir: string,
  options: { webgpu?: boolean; args?: string[]; timeoutMs?: number } = {},
): Promise<BrowserContext> {
  const timeout = options.timeoutMs ?? 30_000;
  const launch: LaunchOptions & { acceptDownloads: boolean } = {
    executablePath: CHROMIUM,
    headless: true,
    timeout,
    acceptDownloads: true,
    args: [
      ...CHROMIUM_FLAGS,
      ...(options.webgpu ? ['--enable-unsafe-webgpu'] : []),
      ...(options.args ?? []),
    ],
  };
  return withTimeout(
    chromium.launchPersistentContext(profileDir, launch),
    timeout + 5_000,
    'launching Chromium',
  );
}
