/** `bit predict / features / models / convert` end to end, through the built binary. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bit, FIXTURES } from './helpers';

function relL2(a: number[], e: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num += (a[i] - e[i]) ** 2;
    den += e[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Reads a float64 array out of a stored (uncompressed) numpy .npz, independently of @bit/models. */
function npzFloat64(path: string, member: string): Float64Array {
  const buf = readFileSync(path);
  const name = Buffer.from(`${member}.npy`);
  // The first local header whose file name is exactly `member.npy` (not e.g. `prelogits.npy`).
  let at = buf.indexOf(name);
  while (at > 0 && buf.readUInt16LE(at - 4) !== name.length) at = buf.indexOf(name, at + 1);
  const magic = buf.indexOf(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]), at);
  const headerLen = buf.readUInt16LE(magic + 8);
  const header = buf.subarray(magic + 10, magic + 10 + headerLen).toString('latin1');
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const start = magic + 10 + headerLen;
  return new Float64Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 8 * n));
}

const CASES = [
  { name: 'bit-tiny', logits: true },
  { name: 'bit-features', logits: false },
];

describe.each([[[]], [['--backend', 'cpu']]] as string[][][])(
  'fixtures through the CLI %j',
  (backendArgs) => {
    for (const c of CASES) {
      const dir = join(FIXTURES, c.name);
      it(`${c.name}: features --json match pre-logits`, () => {
        const r = bit([
          'features',
          join(dir, 'input.npy'),
          '--model',
          join(dir, 'weights.npz'),
          '--json',
          ...backendArgs,
        ]);
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as {
          features: Array<{ input: string; values: number[] }>;
        };
        const expected = npzFloat64(join(dir, 'expected.npz'), 'prelogits');
        expect(
          relL2(
            out.features.flatMap((f) => f.values),
            expected,
          ),
        ).toBeLessThan(1e-4);
        expect(out.features[0].input).toBe(join(dir, 'input.npy'));
      });
      if (c.logits) {
        it(`${c.name}: predict --logits --json match logits`, () => {
          const r = bit([
            'predict',
            join(dir, 'input.npy'),
            '--model',
            join(dir, 'weights.npz'),
            '--logits',
            '--json',
            ...backendArgs,
          ]);
          expect(r.code, r.stderr).toBe(0);
          const out = JSON.parse(r.stdout) as {
            predictions: Array<{
              input: string;
              top: Array<{ index: number; label: unknown; score: number }>;
              logits: number[];
            }>;
          };
          const expected = npzFloat64(join(dir, 'expected.npz'), 'logits');
          expect(out.predictions.length).toBe(2);
          expect(
            relL2(
              out.predictions.flatMap((p) => p.logits),
              expected,
            ),
          ).toBeLessThan(1e-4);
          for (const p of out.predictions)
            expect(Object.keys(p.top[0]).sort()).toEqual(['index', 'label', 'score']);
        });
      }
    }
  },
);

it('bit-odd-f16 (float16, deflated): predict --logits --json match logits', () => {
  const dir = join(FIXTURES, 'bit-odd-f16');
  const r = bit([
    'predict',
    join(dir, 'input.npy'),
    '--model',
    join(dir, 'weights.npz'),
    '--logits',
    '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.predictions.length).toBe(1);
  expect(out.predictions[0].logits.length).toBe(5);
});

it('bit models --json lists every zoo entry by its official name', () => {
  const r = bit(['models', '--json']);
  expect(r.code).toBe(0);
  const names = (JSON.parse(r.stdout).models as Array<{ name: string }>).map((m) => m.name);
  for (const arch of ['R50x1', 'R50x3', 'R101x1', 'R101x3', 'R152x2', 'R152x4']) {
    expect(names).toContain(`BiT-M-${arch}`);
    expect(names).toContain(`BiT-S-${arch}`);
    expect(names).toContain(`BiT-M-${arch}-ILSVRC2012`);
  }
});

describe('damaged checkpoints exit 2 naming the file, without a stack trace', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bit-cli-'));
  const input = join(FIXTURES, 'bit-tiny', 'input.npy');
  const weights = readFileSync(join(FIXTURES, 'bit-tiny', 'weights.npz'));
  const cases: Array<[string, Uint8Array]> = [
    ['truncated.npz', weights.subarray(0, Math.floor(weights.length / 2))],
    ['random.npz', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)],
    ['empty.npz', new Uint8Array(0)],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      const r = bit(['predict', input, '--model', path, '--json']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(path);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
  it('a missing model file', () => {
    const r = bit(['predict', input, '--model', join(tmp, 'nope.npz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.npz');
  });
  it('bad flags', () => {
    const r = bit(['predict', input, '--model', 'x', '--top', 'zero']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--top/);
    expect(r.stderr).toMatch(/usage: bit predict/);
  });
});

it('convert: npz -> tfjs (float16) -> npz keeps the model', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bit-convert-'));
  const dir = join(FIXTURES, 'bit-tiny');
  const tfjsDir = join(tmp, 'tfjs');
  let r = bit(['convert', join(dir, 'weights.npz'), '--out', tfjsDir, '--format', 'tfjs']);
  expect(r.code, r.stderr).toBe(0);
  const back = join(tmp, 'back.npz');
  r = bit(['convert', tfjsDir, '--out', back]);
  expect(r.code, r.stderr).toBe(0);
  r = bit(['predict', join(dir, 'input.npy'), '--model', back, '--logits', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const expected = npzFloat64(join(dir, 'expected.npz'), 'logits');
  const logits = JSON.parse(r.stdout).predictions.flatMap((p: { logits: number[] }) => p.logits);
  expect(relL2(logits, expected)).toBeLessThan(1e-4);
  r = bit(['convert', join(dir, 'weights.npz'), '--out', join(tmp, 'f16'), '--dtype', 'float16']);
  expect(r.code, r.stderr).toBe(0);
  r = bit(['predict', join(dir, 'input.npy'), '--model', join(tmp, 'f16'), '--logits', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const l16 = JSON.parse(r.stdout).predictions.flatMap((p: { logits: number[] }) => p.logits);
  expect(relL2(l16, expected)).toBeLessThan(1e-2);
});

it('bit hyperrule --json gives the official plan', () => {
  const r = bit(['hyperrule', '--dataset-size', '1000', '--image-size', '28x28', '--json']);
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout);
  expect(plan).toMatchObject({
    precrop: 160,
    crop: 128,
    mixupAlpha: 0,
    schedule: [100, 200, 300, 400, 500],
    baseLr: 0.003,
    batchSize: 512,
  });
  expect(bit(['hyperrule', '--dataset-size', 'x', '--image-size', '28x28']).code).toBe(2);
});
