#!/usr/bin/env node
/** `npm run demo`: set-up (install, build), then the node fine-tuning example. */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
run(process.execPath, ['scripts/setup.mjs']);
run('npm', ['run', 'build', '--silent']);
run(process.execPath, ['examples/node-finetune/demo.mjs', ...process.argv.slice(2)]);
