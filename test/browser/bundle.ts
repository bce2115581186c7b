/**
 * Bundles the browser test page's entry (entry.ts) with esbuild for platform 'browser'.
 * `@bit/models` and `@bit/layers` resolve to their built ESM (dist/index.js), so the bundle
 * succeeding without any Node built-in is the isomorphism check of both packages' main entries.
 * Optional tfjs backends (webgl, webgpu) are bundled when their package is installed, through
 * the virtual module `bit-test:optional-backends`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type Metafile, type Plugin } from 'esbuild';

/** The repository root: the first folder up from this file with turbo.json (also when bundled). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'turbo.json'))) return dir;
    if (dirname(dir) === dir) return join(from, '..', '..');
  }
}
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const here = join(REPO_ROOT, 'test/browser');
const require = createRequire(import.meta.url);

/** The built ESM main entries the bundle must use. */
export const DIST_ENTRIES = {
  '@bit/models': join(REPO_ROOT, 'packages/bit-models/dist/index.js'),
  '@bit/layers': join(REPO_ROOT, 'packages/bit-layers/dist/index.js'),
  '@bit/data': join(REPO_ROOT, 'packages/bit-data/dist/index.js'),
  '@bit/hyperrule': join(REPO_ROOT, 'packages/bit-hyperrule/dist/index.js'),
  '@bit/train': join(REPO_ROOT, 'packages/bit-train/dist/index.js'),
} as const;

/** A tfjs backend that is bundled only when its package is installed. */
export interface OptionalBackend {
  /** tfjs backend name. */
  name: string;
  /** npm package that registers it. */
  pkg: string;
  /** Relative L2 tolerance for the fixtures' outputs on this backend. */
  tolerance: number;
  /** Whether the package resolves from the repository root. */
  available: boolean;
}

/**
 * Backends beyond cpu and wasm. To test another one, add a line here: it runs once its package
 * is installed and is skipped (with the reason) until then.
 */
export const OPTIONAL_BACKENDS: OptionalBackend[] = [
  { name: 'webgl', pkg: '@tensorflow/tfjs-backend-webgl', tolerance: 1e-3 },
  { name: 'webgpu', pkg: '@tensorflow/tfjs-backend-webgpu', tolerance: 1e-3 },
].map((b) => ({ ...b, available: isInstalled(b.pkg) }));

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`, { paths: [REPO_ROOT] });
    return true;
  } catch {
    return false;
  }
}

/** Directory of the tfjs wasm backend's .wasm binaries. */
export function wasmDistDir(): string {
  return join(
    dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json', { paths: [REPO_ROOT] })),
    'dist',
  );
}

/** Directory of onnxruntime-web's dist/ (served at /ort/; see ort-web.ts). */
export function ortWebDistDir(): string {
  // Its exports map has no ./package.json; its main entry lives in dist/.
  return dirname(require.resolve('onnxruntime-web', { paths: [REPO_ROOT] }));
}

/** Thrown when the packages are not built or the browser bundle cannot be made. */
export class BrowserBundleError extends Error {
  override name = 'BrowserBundleError';
}

/** What the bundle step produced. */
export interface BundleResult {
  /** Output directory (entry.js and its chunks). */
  outdir: string;
  /** Input files of the bundle, relative to the repository root. */
  inputs: string[];
  /** Output files, relative to `outdir`. */
  outputs: string[];
}

function describe(message: Message): string {
  const at = message.location ? `${message.location.file}:${message.location.line}: ` : '';
  const notes = message.notes.map((n) => ` (${n.text})`).join('');
  return `${at}${message.text}${notes}`;
}

/** True for an esbuild error about a Node built-in module (node:*, fs, path ...). */
function isNodeBuiltinError(message: Message): boolean {
  return (
    /Could not resolve "node:/.test(message.text) ||
    message.notes.some((n) => /built into node/i.test(n.text))
  );
}

const resolveDist: Plugin = {
  name: 'bit-dist',
  setup(b) {
    b.onResolve({ filter: /^@bit\/(models|layers|data|hyperrule|train)$/ }, (args) => ({
      path: DIST_ENTRIES[args.path as keyof typeof DIST_ENTRIES],
    }));
  },
};

const optionalBackends: Plugin = {
  name: 'bit-optional-backends',
  setup(b) {
    b.onResolve({ filter: /^bit-test:optional-backends$/ }, (args) => ({
      path: args.path,
      namespace: 'bit-optional-backends',
    }));
    b.onLoad({ filter: /.*/, namespace: 'bit-optional-backends' }, () => {
      const present = OPTIONAL_BACKENDS.filter((o) => o.available);
      return {
        contents:
          present.map((o) => `import ${JSON.stringify(o.pkg)};\n`).join('') +
          `export const OPTIONAL_BACKENDS = ${JSON.stringify(present.map((o) => o.name))};\n`,
        loader: 'js',
        resolveDir: REPO_ROOT,
      };
    });
  },
};

/**
 * Bundles test/browser/entry.ts (or another entry of this folder) into `outdir` (ESM, split: the
 * label lists' dynamic imports stay chunks of their own that the browser loads on demand).
 * @throws BrowserBundleError when a package is not built, when anything in the bundle imports a
 *   Node built-in (naming the importing file), or for any other build error.
 */
export async function bundleBrowserTest(outdir: string, entry = 'entry.ts'): Promise<BundleResult> {
  for (const [name, file] of Object.entries(DIST_ENTRIES)) {
    if (!existsSync(file)) {
      throw new BrowserBundleError(
        `${name} is not built (${relative(REPO_ROOT, file)} is missing): run \`npm run build\` first ` +
          '(the root `npm test` does)',
      );
    }
  }
  let metafile: Metafile;
  try {
    const result = await build({
      entryPoints: [join(here, entry)],
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      sourcemap: false,
      metafile: true,
      absWorkingDir: REPO_ROOT,
      logLevel: 'silent',
      entryNames: '[name]',
      chunkNames: 'chunks/[name]-[hash]',
      plugins: [resolveDist, optionalBackends],
    });
    metafile = result.metafile;
  } catch (error) {
    const errors: Message[] = (error as { errors?: Message[] }).errors ?? [];
    const builtins = errors.filter(isNodeBuiltinError);
    if (builtins.length > 0) {
      throw new BrowserBundleError(
        `the browser bundle of test/browser/${entry} imports Node built-ins (not isomorphic):\n` +
          builtins.map((m) => `  ${describe(m)}`).join('\n'),
      );
    }
    const detail =
      errors.length > 0 ? errors.map((m) => `  ${describe(m)}`).join('\n') : String(error);
    throw new BrowserBundleError(`esbuild failed to bundle test/browser/${entry}:\n${detail}`);
  }
  return {
    outdir,
    inputs: Object.keys(metafile.inputs),
    outputs: Object.keys(metafile.outputs).map((o) => relative(outdir, join(REPO_ROOT, o))),
  };
}
