import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The `bit` bin (it loads dist/cli.js, which the root `npm test` builds before vitest). */
export const CLI = join(__dirname, '..', 'bin', 'bit.js');
const BUILT = join(__dirname, '..', 'dist', 'cli.js');
export const FIXTURES = join(__dirname, '..', '..', 'bit-models', 'test', 'fixtures');

/** Runs `bit ...args` and returns exit code, stdout and stderr. */
export function bit(
  args: string[],
  options: { env?: Record<string, string>; timeout?: number } = {},
) {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: options.timeout ?? 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Saves a randomly initialised tiny BiT (units 1,1,1,1, width 0.5) as an .npz, on cpu. */
export async function writeTinyCheckpoint(path: string, numClasses: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const { buildResNetV2, saveBiT } = await import('@bit/models/node');
  await tf.setBackend('cpu');
  const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses });
  await saveBiT(model, path);
  model.dispose();
}
