#!/usr/bin/env node
// Bundles check.ts (it imports the tests' TypeScript reference helpers) and runs it.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'node_modules', '.cache', 'bit-onnx-check', 'check.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(here, 'check.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile: out,
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, [out, root], { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
