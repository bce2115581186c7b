#!/usr/bin/env node
// The `bit` command. This file is committed (dist/ is built later), so npm links it into
// node_modules/.bin right at `npm ci`; it loads the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'bit: the CLI is not built yet; run `npm run build` in the repository first\n',
  );
  process.exit(1);
}
await import(cli.href);
