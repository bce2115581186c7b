/**
 * `bit convert --format onnx` and `--engine onnx` for predict, features, eval and bench: the
 * onnx engine agrees with tfjs (and the fixture's float64 logits); bad input exits 2 with a
 * message and no stack trace.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relL2 } from '../../bit-layers/test/reference';
import { parseNpyReference } from '../../bit-models/test/helpers/npz-reference';
import { bit, FIXTURES } from './helpers';

const STACK = /\n\s+at /;
const tiny = join(FIXTURES, 'bit-tiny');
const features = join(FIXTURES, 'bit-features');
let work: string;
let onnxFile: string;

function expectedLogits(dir: string, key = 'logits'): Float64Array {
  const files = unzipSync(new Uint8Array(readFileSync(join(dir, 'expected.npz'))));
  return parseNpyReference(files[`${key}.npy`]).values;
}

/** 10 classes (the bit-tiny head) of 2 small PNGs each. */
function writeTenClassFolder(dir: string): void {
  let s = 3;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (let c = 0; c < 10; c++) {
    mkdirSync(join(dir, `class${c}`), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const png = new PNG({ width: 24, height: 20 });
      for (let p = 0; p < png.data.length; p++) png.data[p] = p % 4 === 3 ? 255 : rand() * 255;
      writeFileSync(join(dir, `class${c}`, `${i}.png`), PNG.sync.write(png));
    }
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bit-onnx-cli-'));
  onnxFile = join(work, 'tiny.onnx');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bit convert to ONNX', () => {
  it('--out x.onnx infers the format; --format onnx says it; --json reports it', () => {
    let r = bit(['convert', join(tiny, 'weights.npz'), '--out', onnxFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'onnx', dtype: 'float32' });
    expect(readFileSync(onnxFile)[0]).toBe(0x08); // ModelProto.ir_version first
    const out = join(work, 'features.onnx');
    r = bit(['convert', join(features, 'weights.npz'), '--out', out, '--format', 'onnx']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(`${out}.data`)).toBe(false); // small models: one file
  });

  it('--external-data writes <out>.data; predict --engine onnx reads it; not for npz/tfjs', () => {
    const out = join(work, 'external.onnx');
    let r = bit(['convert', join(tiny, 'weights.npz'), '--out', out, '--external-data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'onnx', externalData: `${out}.data` });
    expect(r.stderr).toMatch(/wrote .*external\.onnx and .*external\.onnx\.data/);
    r = bit([
      'predict',
      join(tiny, 'input.npy'),
      '--logits',
      '--json',
      '--model',
      out,
      '--engine',
      'onnx',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const logits = (JSON.parse(r.stdout).predictions as Array<{ logits: number[] }>).flatMap(
      (p) => p.logits,
    );
    expect(relL2(logits, expectedLogits(tiny))).toBeLessThan(1e-4);
    r = bit([
      'convert',
      join(tiny, 'weights.npz'),
      '--out',
      join(work, 'x.npz'),
      '--external-data',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--external-data applies to \.onnx output only/);
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('--engine onnx agrees with tfjs', () => {
  it('bit predict --logits --json: on the .onnx and on the .npz (converted in memory)', () => {
    const expected = expectedLogits(tiny);
    const runs = [
      ['--model', onnxFile, '--engine', 'onnx', '--threads', '1'],
      ['--model', join(tiny, 'weights.npz'), '--engine', 'onnx'],
      ['--model', join(tiny, 'weights.npz'), '--backend', 'cpu'],
    ].map((extra) => {
      const r = bit(['predict', join(tiny, 'input.npy'), '--logits', '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).predictions as Array<{ logits: number[]; top: unknown[] }>;
    });
    for (const p of runs)
      expect(
        relL2(
          p.flatMap((x) => x.logits),
          expected,
        ),
      ).toBeLessThan(1e-4);
    expect(runs[0].map((p) => p.top)).toEqual(runs[1].map((p) => p.top));
    expect(
      relL2(
        runs[0].flatMap((x) => x.logits),
        runs[2].flatMap((x) => x.logits),
      ),
    ).toBeLessThan(1e-4);
  });

  it('bit features --json: headless .onnx and tfjs give the same pre-logits', () => {
    const expected = expectedLogits(features, 'prelogits');
    const [a, b] = [
      ['--model', join(work, 'features.onnx'), '--engine', 'onnx'],
      ['--model', join(features, 'weights.npz'), '--backend', 'cpu'],
    ].map((extra) => {
      const r = bit(['features', join(features, 'input.npy'), '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).features as Array<{ values: number[] }>).flatMap(
        (f) => f.values,
      );
    });
    expect(relL2(a, expected)).toBeLessThan(1e-4);
    expect(relL2(a, b)).toBeLessThan(1e-4);
  });

  it('bit eval --json: same top-1, top-5 and loss', () => {
    const data = join(work, 'ten');
    writeTenClassFolder(data);
    const [a, b] = [
      ['--engine', 'onnx', '--model', onnxFile],
      ['--backend', 'cpu', '--model', join(tiny, 'weights.npz')],
    ].map((extra) => {
      const r = bit(['eval', '--data', data, '--resolution', '32', '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { top1: number; top5: number; loss: number; count: number };
    });
    expect(a.count).toBe(20);
    expect(a.top1).toBe(b.top1);
    expect(a.top5).toBe(b.top5);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.abs(b.loss));
  });

  it('bit bench --engine onnx --json: images/s of random weights exported in memory', () => {
    const r = bit([
      'bench',
      '--engine',
      'onnx',
      '--model',
      'R50x0.5',
      '--image-size',
      '32',
      '--batch',
      '2',
      '--iterations',
      '2',
      '--classes',
      '10',
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ engine: 'onnx', batch: 2, imageSize: 32 });
    expect(out.imagesPerSecond).toBeGreaterThan(0);
    const train = bit(['bench', '--engine', 'onnx', '--mode', 'train']);
    expect(train.code).toBe(2);
    expect(train.stderr).toMatch(/inference only/);
  });
});

describe('--engine onnx: bad input exits 2 without a stack trace', () => {
  it('onnxruntime missing: names the package and the install command', () => {
    const r = bit(['predict', join(tiny, 'input.npy'), '--model', onnxFile, '--engine', 'onnx'], {
      env: { BIT_ONNXRUNTIME_PACKAGE: 'onnxruntime-not-installed' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a file that is no ONNX model; an .onnx without --engine onnx; a bad --engine', () => {
    const bad = join(work, 'bad.onnx');
    writeFileSync(bad, 'garbage');
    let r = bit(['predict', join(tiny, 'input.npy'), '--model', bad, '--engine', 'onnx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an ONNX model/);
    expect(r.stderr).not.toMatch(STACK);
    r = bit(['features', join(tiny, 'input.npy'), '--model', onnxFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine onnx/);
    expect(r.stderr).not.toMatch(STACK);
    r = bit(['predict', join(tiny, 'input.npy'), '--model', onnxFile, '--engine', 'onyx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine must be one of tfjs, onnx.*did you mean onnx/);
    r = bit(['predict', join(tiny, 'input.npy'), '--model', onnxFile, '--threads', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads applies to --engine onnx only/);
  });
});
