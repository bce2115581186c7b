#!/usr/bin/env node
/**
 * Consumer test: packs the publishable packages with `npm pack`, installs the tarballs into a
 * fresh project outside the workspace, and uses them from there as ESM and as CJS.
 * This is what `npm install @bit/layers` in someone else's project sees.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const work = mkdtempSync(join(tmpdir(), 'bit-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const keep = process.argv.includes('--keep');

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

try {
  execFileSync('mkdir', ['-p', tarballs, app]);
  const names = [];
  for (const dir of readdirSync(packagesDir)) {
    const pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    run('npm', ['pack', '--silent', '--pack-destination', tarballs], join(packagesDir, dir));
    names.push(pkg.name);
  }
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const tfVersion = rootPkg.devDependencies['@tensorflow/tfjs-core'];
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true }, null, 2),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...files,
      `@tensorflow/tfjs-core@${tfVersion}`,
      `@tensorflow/tfjs-layers@${tfVersion}`,
      `@tensorflow/tfjs-backend-cpu@${tfVersion}`,
    ],
    app,
  );
  const fixture = join(packagesDir, 'bit-models', 'test', 'fixtures', 'bit-tiny', 'weights.npz');
  writeFileSync(join(app, 'weights.npz'), readFileSync(fixture));
  for (const script of ['consumer.mjs', 'consumer.cjs']) {
    writeFileSync(join(app, script), readFileSync(join(root, 'scripts', 'consumer', script)));
    run('node', [script], app);
  }
  console.log(
    `consumer test: ${names.length} packages installed from tarballs and used as ESM and CJS`,
  );
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
