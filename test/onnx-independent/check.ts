/**
 * Independent check of the ONNX export: `bit convert --format onnx` (the CLI, as a user runs
 * it) writes each model; plain onnxruntime-node (InferenceSession.create with no options, i.e.
 * the DEFAULT graph optimisation level) runs it; its logits and pre-logits are compared with
 * float64 references that share nothing with the exporter — the numpy-written expected outputs
 * of the fixtures and the plain-JS float64 ResNetV2 of the tests (reference-resnet.ts) on the
 * weights as read by a reference .npy parser. Models: the three fixtures and an R50x1 (the
 * official BiT-S/M architecture, 1000-class head) with seeded random weights written by the
 * tests' own zip builder.
 *
 *   npm run check:onnx        (bundles this file with esbuild, then runs it)
 *
 * Prints one JSON line per model and output, then exits 1 when any error reaches 1e-4.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { relL2 } from '../../packages/bit-layers/test/reference';
import {
  f32Bytes,
  makeZip,
  npyBytes,
  parseNpyReference,
} from '../../packages/bit-models/test/helpers/npz-reference';
import { randomWeights } from '../../packages/bit-models/test/helpers/random-weights';
import {
  referenceForward,
  type Weights,
} from '../../packages/bit-models/test/helpers/reference-resnet';

const ROOT = resolve(process.argv[2] ?? process.cwd());
const FIXTURES = join(ROOT, 'packages', 'bit-models', 'test', 'fixtures');
const CLI = join(ROOT, 'packages', 'bit-cli', 'bin', 'bit.js');
const LIMIT = 1e-4;

function readNpz(path: string): Map<string, { shape: number[]; data: Float64Array }> {
  const out = new Map<string, { shape: number[]; data: Float64Array }>();
  for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(readFileSync(path))))) {
    const npy = parseNpyReference(bytes);
    out.set(name.replace(/\.npy$/, ''), { shape: npy.shape, data: npy.values });
  }
  return out;
}

function convert(npz: string, out: string): void {
  const r = spawnSync(process.execPath, [CLI, 'convert', npz, '--out', out, '--format', 'onnx'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bit convert ${npz} failed (${r.status}): ${r.stderr}`);
}

async function runOnnx(file: string, shape: number[], data: Float32Array) {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({ image: new ort.Tensor('float32', data, shape) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

const results: Array<Record<string, unknown>> = [];
function report(model: string, output: string, against: string, error: number): void {
  const line = { model, output, against, relL2: error, ok: error < LIMIT };
  results.push(line);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bit-onnx-check-'));
  try {
    for (const name of ['bit-tiny', 'bit-odd-f16', 'bit-features']) {
      const dir = join(FIXTURES, name);
      const file = join(work, `${name}.onnx`);
      convert(join(dir, 'weights.npz'), file);
      const input = parseNpyReference(new Uint8Array(readFileSync(join(dir, 'input.npy'))));
      const out = await runOnnx(file, input.shape, Float32Array.from(input.values));
      const expected = readNpz(join(dir, 'expected.npz'));
      const weights: Weights = readNpz(join(dir, 'weights.npz'));
      const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as { units: number[] };
      const ref = referenceForward(weights, spec.units, { shape: input.shape, data: input.values });
      for (const key of expected.has('logits') ? ['logits', 'prelogits'] : ['prelogits']) {
        if (!out[key]) throw new Error(`${name}: the ONNX model has no output ${key}`);
        report(name, key, 'numpy float64', relL2(out[key], expected.get(key)!.data));
        const mine = key === 'logits' ? ref.logits! : ref.prelogits;
        report(name, key, 'js float64', relL2(out[key], mine.data));
      }
    }

    // The official architecture: R50x1 with a 1000-class head, seeded random weights.
    const units = [3, 4, 6, 3];
    const weights = randomWeights({ units: [3, 4, 6, 3], width: 1, numClasses: 1000 }, 50, false);
    const members = [...weights].map(([name, w]) => ({
      name: `${name}.npy`,
      payload: npyBytes(
        `{'descr': '<f4', 'fortran_order': False, 'shape': (${w.shape.join(', ')}${w.shape.length === 1 ? ',' : ''}), }`,
        f32Bytes(w.data),
      ),
    }));
    const npz = join(work, 'R50x1.npz');
    writeFileSync(npz, makeZip(members));
    const file = join(work, 'R50x1.onnx');
    convert(npz, file);
    for (const shape of [
      [2, 32, 32, 3],
      [1, 40, 56, 3],
    ]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 1024) / 1023);
      const out = await runOnnx(file, shape, data);
      const ref = referenceForward(weights, units, { shape, data: Float64Array.from(data) });
      const at = `R50x1 ${shape.join('x')}`;
      report(at, 'logits', 'js float64', relL2(out.logits, ref.logits!.data));
      report(at, 'prelogits', 'js float64', relL2(out.prelogits, ref.prelogits.data));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const bad = results.filter((r) => !r.ok);
  if (bad.length) {
    process.stderr.write(`${bad.length} of ${results.length} checks at or above ${LIMIT}\n`);
    process.exitCode = 1;
  } else process.stderr.write(`all ${results.length} checks below ${LIMIT}\n`);
}

await main();
