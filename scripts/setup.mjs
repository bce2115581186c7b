#!/usr/bin/env node
/**
 * Set-up shared by `npm test` and `npm run demo` on a fresh clone: installs dependencies with
 * `npm ci` when node_modules is missing or older than package-lock.json. Uses only Node builtins,
 * so it runs before anything is installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.error('setup: installing dependencies (npm ci)');
  // onnxruntime-node's install script fetches CUDA files unless told to skip (CPU ships inside).
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    env: { ONNXRUNTIME_NODE_INSTALL: 'skip', ...process.env },
  });
}
