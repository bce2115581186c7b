#!/usr/bin/env node
/**
 * Consumer test: packs the publishable packages with `npm pack`, installs the tarballs into a
 * fresh project outside the workspace, and uses them from there: as ESM and as CJS, and as a
 * strict TypeScript project — the root README's sample (the ```ts block after
 * `<!-- consumer-test: sample.ts -->`) and scripts/consumer/acceptance.ts are type-checked with
 * `tsc --strict` and run. Also checks every tarball ships a LICENSE and every package.json names
 * its repository, license and engines.
 * This is what `npm install @bit/models` in someone else's project sees.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const work = mkdtempSync(join(tmpdir(), 'bit-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const keep = process.argv.includes('--keep');
const require = createRequire(join(root, 'package.json'));

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

function fail(message) {
  throw new Error(`consumer test: ${message}`);
}

/** The TypeScript sample of the root README (the block after the consumer-test marker). */
function readmeSample() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = /<!-- consumer-test: sample\.ts -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) fail('README.md has no ```ts block after <!-- consumer-test: sample.ts -->');
  return m[1];
}

/** A w x h PNG of one colour with a little noise (pngjs from the workspace). */
function png(w, h, rgb, seed) {
  const { PNG } = require('pngjs');
  const image = new PNG({ width: w, height: h });
  let s = seed;
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) {
      s = (s * 1103515245 + 12345) >>> 0;
      image.data[i * 4 + c] = Math.max(0, Math.min(255, rgb[c] + ((s >>> 16) % 41) - 20));
    }
    image.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(image);
}

try {
  mkdirSync(tarballs, { recursive: true });
  mkdirSync(app, { recursive: true });
  const names = [];
  for (const dir of readdirSync(packagesDir)) {
    const pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    for (const field of ['repository', 'license', 'engines', 'homepage', 'bugs', 'keywords']) {
      if (!pkg[field]) fail(`${pkg.name}'s package.json has no ${field}`);
    }
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], {
      cwd: join(packagesDir, dir),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [packed] = JSON.parse(out);
    const files = packed.files.map((f) => f.path);
    for (const file of ['LICENSE', 'README.md', 'package.json']) {
      if (!files.includes(file)) fail(`${pkg.name}'s tarball has no ${file}`);
    }
    if (pkg.name === '@bit/models' && !files.includes('LABELS.md')) {
      fail('@bit/models tarball has no LABELS.md');
    }
    console.log(`packed ${pkg.name}: ${packed.size} B packed, ${packed.unpackedSize} B unpacked`);
    names.push(pkg.name);
  }
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dev = rootPkg.devDependencies;
  const tfVersion = dev['@tensorflow/tfjs-core'];
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
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
      `typescript@${dev.typescript}`,
      `@types/node@${dev['@types/node']}`,
    ],
    app,
  );
  const fixture = join(packagesDir, 'bit-models', 'test', 'fixtures', 'bit-tiny', 'weights.npz');
  writeFileSync(join(app, 'weights.npz'), readFileSync(fixture));
  writeFileSync(join(app, 'cat.png'), png(40, 30, [200, 120, 60], 1));
  const colours = { red: [220, 30, 30], green: [30, 200, 40], blue: [30, 40, 220] };
  for (const [name, rgb] of Object.entries(colours)) {
    mkdirSync(join(app, 'data', name), { recursive: true });
    for (let i = 0; i < 4; i++)
      writeFileSync(join(app, 'data', name, `${i}.png`), png(12, 12, rgb, i));
  }
  for (const script of ['consumer.mjs', 'consumer.cjs']) {
    writeFileSync(join(app, script), readFileSync(join(root, 'scripts', 'consumer', script)));
    run('node', [script], app);
  }
  // Strict TypeScript: the README sample and the acceptance checks, type-checked, then run.
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'src', 'sample.ts'), readmeSample());
  writeFileSync(
    join(app, 'src', 'acceptance.ts'),
    readFileSync(join(root, 'scripts', 'consumer', 'acceptance.ts')),
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          outDir: 'build',
          skipLibCheck: true,
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.'], app);
  console.log('tsc --strict: README sample and acceptance checks type-check');
  run('node', ['build/sample.js'], app);
  run('node', ['build/acceptance.js'], app);
  console.log(
    `consumer test: ${names.length} packages installed from tarballs; ESM, CJS and strict TypeScript ok`,
  );
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
