/**
 * The CLI hardened (issue 10), through the built binary: per-command --help, "did you mean",
 * a closed output pipe, labels that do not fit the head, missing paths, a used --out, convert's
 * format inference and --force, aligned text output, the committed bin shim.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { planBatchSplitForMemory } from '@bit/hyperrule';
import { buildResNetV2, saveBiT } from '@bit/models/node';
import { bit, CLI, FIXTURES } from './helpers';
import { writeColourFolder } from './image-folder';

const STACK = /\n\s+at /;
const tiny = join(FIXTURES, 'bit-tiny');
const work = mkdtempSync(join(tmpdir(), 'bit-cli-usage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Command names as `bit --help` lists them. */
function commandNames(): string[] {
  const r = bit(['--help']);
  expect(r.code).toBe(0);
  const section = r.stdout.split('commands:\n')[1].split('\n\n')[0];
  return section
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

describe('bit <command> --help', () => {
  const names = commandNames();

  it('lists every command, the training ones included', () => {
    for (const n of ['models', 'predict', 'features', 'finetune', 'eval', 'convert', 'hyperrule'])
      expect(names).toContain(n);
  });

  for (const name of names) {
    it(`${name}: every flag of the usage line, each with a description`, () => {
      const r = bit([name, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: bit ${name}`));
      const [usageLine] = r.stdout.split('\n');
      const flagsSection = r.stdout.split('\nflags:\n')[1];
      expect(flagsSection).toBeDefined();
      const described = new Map<string, string>();
      for (const line of flagsSection.split('\n')) {
        const m = /^ {2}(--[a-z][a-z0-9-]*)(?: \S+)?\s{2,}(\S.*)$/.exec(line);
        if (m) described.set(m[1], m[2]);
      }
      const inUsage = [...usageLine.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
      expect(inUsage.length).toBeGreaterThan(0);
      for (const flag of inUsage) {
        expect(described.get(flag), `${name} ${flag}`).toMatch(/\w{3,}/);
      }
    });
  }

  it("the package README's synopsis names each command's flags as its usage line does", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const block = readme.split('\n```\nbit models')[1]?.split('\n```')[0];
    expect(block, 'the synopsis block in README.md').toBeDefined();
    // A command's line and its indented continuation lines.
    const synopsis = new Map<string, string>();
    let current = '';
    for (const line of `bit models${block}`.split('\n')) {
      const m = /^bit ([a-z]+(?: inspect)?)/.exec(line);
      if (m) synopsis.set((current = m[1]), line);
      else if (/^\s+\[/.test(line)) synopsis.set(current, `${synopsis.get(current)} ${line}`);
    }
    const flags = (text: string) => [...new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? [])].sort();
    for (const name of names) {
      const command = name === 'data' ? 'data inspect' : name;
      const usage = bit([...command.split(' '), '--help']).stdout.split('\n')[0];
      expect(synopsis.has(command), `README synopsis lacks bit ${command}`).toBe(true);
      expect(flags(synopsis.get(command)!), `bit ${command}`).toEqual(flags(usage));
    }
  });

  it('shows defaults: finetune --batch 512 and --base-lr 0.003, predict --top 5', () => {
    const ft = bit(['finetune', '--help']).stdout;
    expect(ft).toMatch(/--batch N\s+examples per optimizer step \(default 512\)/);
    expect(ft).toMatch(/--base-lr LR\s+base learning rate \(default 0\.003\)/);
    expect(ft).toMatch(/--memory MB\s+.*\(default 75% of available memory/);
    expect(bit(['predict', '-h']).stdout).toMatch(/--top K\s+.*\(default 5\)/);
  });

  it("numbers: negative values after a space, hex, and values past a flag's limit get the range", () => {
    const npy = join(tiny, 'input.npy');
    const negative = bit(['predict', npy, '--model', 'x', '--top', '-1']);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/--top must be an integer in \[1, 1000000\], got '-1'/);
    expect(negative.stderr).not.toMatch(/ambiguous/);
    const hex = bit(['hyperrule', '--dataset-size', '0x10', '--image-size', '28x28']);
    expect(hex.code).toBe(2);
    expect(hex.stderr).toMatch(/--dataset-size must be an integer >= 0, got '0x10'/);
    const huge = bit(['bench', '--model', 'R50x1', '--image-size', '100000']);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/--image-size must be an integer in \[8, 4096\], got '100000'/);
    const unsafe = bit([
      'hyperrule',
      '--dataset-size',
      '9007199254740993',
      '--image-size',
      '28x28',
    ]);
    expect(unsafe.code).toBe(2);
    expect(unsafe.stderr).toMatch(/--dataset-size must be an integer/);
    for (const r of [negative, hex, huge, unsafe]) expect(r.stderr).not.toMatch(STACK);
  });

  it('outputs under a file, a bad --base-url and the embedded model in download: exit 2 or 0, named', () => {
    const file = join(work, 'a-file.txt');
    writeFileSync(file, 'not a folder');
    const cases: [string[], RegExp][] = [
      [
        ['convert', join(tiny, 'weights.npz'), '--out', join(file, 'x.npz')],
        /--out .*a-file\.txt is a file, not a folder/,
      ],
      [
        [
          'finetune',
          '--model',
          join(tiny, 'weights.npz'),
          '--train',
          join(tiny),
          '--out',
          join(file, 'run'),
        ],
        /--out .*a-file\.txt is a file, not a folder/,
      ],
      [['download', 'BiT-S-R50x1', '--cache-dir', file], /--cache-dir .* is a file, not a folder/],
      [
        ['download', 'BiT-S-R50x1', '--cache-dir', join(file, 'c')],
        /--cache-dir .*a-file\.txt is a file/,
      ],
      [
        ['download', 'BiT-S-R50x1', '--base-url', 'notaurl'],
        /--base-url must be an http:\/\/ or https:\/\/ URL/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = bit(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
    }
    const embedded = bit(['download', 'BiT-FMNIST-R14x0.5', '--json'], {
      env: { BIT_MODELS_BASE_URL: 'http://127.0.0.1:9/' },
    });
    expect(embedded.code, embedded.stderr).toBe(0);
    const out = JSON.parse(embedded.stdout) as { path: string; embedded: boolean };
    expect(out.embedded).toBe(true);
    expect(existsSync(out.path)).toBe(true);
  });

  it('flags that would be ignored and stray arguments are refused, exit 2', () => {
    const npz = join(tiny, 'weights.npz');
    const cases: [string[], RegExp][] = [
      [['models', 'extra'], /unexpected argument 'extra': this command takes flags only/],
      [
        ['hyperrule', '--dataset-size', '100', '--image-size', '28x28', 'x'],
        /unexpected argument 'x'/,
      ],
      [
        [
          'predict',
          join(tiny, 'input.npy'),
          '--model',
          npz,
          '--engine',
          'onnx',
          '--backend',
          'wasm',
        ],
        /--backend picks a tfjs backend; the onnx engine runs without one/,
      ],
      [
        ['bench', '--mode', 'inference', '--workers', '2'],
        /--workers applies to --mode train only/,
      ],
      [
        ['bench', '--breakdown', '--skip-analysis'],
        /give --breakdown or --skip-analysis, not both/,
      ],
      [['bench', '--breakdown', '--engine', 'onnx'], /--breakdown times tfjs components/],
      [
        [
          'finetune',
          '--model',
          npz,
          '--train',
          tiny,
          '--out',
          join(work, 'ev'),
          '--eval-every',
          '2',
        ],
        /--eval-every needs --val/,
      ],
      [
        [
          'pretrain',
          '--train',
          tiny,
          '--out',
          join(work, 'ev2'),
          '--steps',
          '10',
          '--eval-every',
          '2',
        ],
        /--eval-every needs --val/,
      ],
      [
        ['pretrain', '--train', tiny, '--out', join(work, 'w'), '--steps', '10', '--width', '0.25'],
        /--width must be a multiple of 0\.5/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = bit(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('did you mean: a mistyped flag and a mistyped command, exit 2', () => {
    const flag = bit(['predict', join(tiny, 'input.npy'), '--model', 'x', '--lables', 'a']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown flag --lables; did you mean --labels\?/);
    const cmd = bit(['finetun', '--model', 'x']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'finetun'; did you mean 'finetune'\?/);
    const backend = bit(['predict', join(tiny, 'input.npy'), '--model', 'x', '--backend', 'wsam']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/did you mean wasm\?/);
  });
});

describe('predict', () => {
  it('many inputs piped into head -1: one line out, no stack trace, exit 0', () => {
    const inputs = Array.from({ length: 150 }, () => join(tiny, 'input.npy'));
    const cmd = [process.execPath, CLI, 'predict', ...inputs, '--model', join(tiny, 'weights.npz')]
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync('bash', ['-c', `${cmd} | head -1; echo "bit exit \${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stdout.trim().split('\n')).toEqual([`${join(tiny, 'input.npy')}[0]`]);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/EPIPE/);
    expect(r.stderr).toMatch(/bit exit 0/);
  });

  it('a 3-name labels file on a 10-class head: exit 2 naming the file and both counts', () => {
    const labels = join(work, 'three.txt');
    writeFileSync(labels, 'cat\ndog\nowl\n');
    const r = bit([
      'predict',
      join(tiny, 'input.npy'),
      '--model',
      join(tiny, 'weights.npz'),
      '--labels',
      labels,
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(labels);
    expect(r.stderr).toMatch(/has 3 class names, but the model's head has 10 classes/);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it('--labels imagenet1k on a 10-class head: exit 2 naming both counts', () => {
    const r = bit([
      'predict',
      join(tiny, 'input.npy'),
      '--model',
      join(tiny, 'weights.npz'),
      '--labels',
      'imagenet1k',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /--labels imagenet1k has 1000 class names, but the model's head has 10 classes/,
    );
  });

  it('a 10-name labels file is used, and --logits shows the logits in text mode', () => {
    const labels = join(work, 'ten.txt');
    writeFileSync(labels, Array.from({ length: 10 }, (_, i) => `class-${i}`).join('\n') + '\n');
    const r = bit([
      'predict',
      join(tiny, 'input.npy'),
      '--model',
      join(tiny, 'weights.npz'),
      '--labels',
      labels,
      '--top',
      '2',
      '--logits',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(8); // 2 images x (name, 2 classes, logits)
    expect(lines[1]).toMatch(/^ {2}\d\.\d{4} {2}\d {2}class-\d$/);
    expect(lines[3]).toMatch(/^ {2}logits( -?\d+\.\d{4}){10}$/);
  });

  it('a missing input file: exit 2, "no such file or directory", before any model is loaded', () => {
    const missing = join(work, 'nope.png');
    const r = bit(['predict', missing, '--model', 'BiT-M-R152x4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no such file or directory: ${missing}`);
    expect(r.stderr).not.toMatch(/downloading/);
  });
});

describe('eval, data inspect: missing paths and split names', () => {
  it('bit eval --data <missing path>: exit 2 and "no such file"', () => {
    const missing = join(work, 'no-such-dataset');
    const r = bit(['eval', '--model', join(tiny, 'weights.npz'), '--data', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no such file or directory: ${missing}`);
    expect(r.stderr).not.toMatch(/registered|image-folder, /);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('--split val and validation open the same split folder; others are refused', () => {
    const root = join(work, 'splits');
    writeColourFolder(root, { train: 2, val: 3 });
    for (const split of ['val', 'validation']) {
      const r = bit(['data', 'inspect', root, '--split', split, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).numExamples).toBe(9);
    }
    const bad = bit(['data', 'inspect', root, '--split', 'dev']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--split must be one of train, val, validation, test/);
  });

  it('data inspect in text mode shows the image sizes and an aligned class table', () => {
    const root = join(work, 'mixed');
    mkdirSync(root, { recursive: true });
    writeColourFolder(root, { train: 2, val: 0 });
    const r = bit(['data', 'inspect', join(root, 'train')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^image size {2}40x40 \(all\)$/m);
    expect(r.stdout).toMatch(/^examples {4}6$/m);
    const table = r.stdout.split('\n\n')[1].trim().split('\n');
    expect(table[0]).toMatch(/^class {2}examples$/);
    expect(table.slice(1)).toEqual(['blue          2', 'green         2', 'red           2']);
  });
});

describe('finetune: a used --out, the memory budget', () => {
  const checkpoint = join(work, 'small.npz');
  const data = join(work, 'colours');
  const run = join(work, 'run');
  const base = () => [
    'finetune',
    '--model',
    checkpoint,
    '--train',
    join(data, 'train'),
    '--out',
    run,
    '--batch',
    '6',
    '--steps',
    '5',
    '--resolution',
    '16',
    '--json',
  ];

  beforeAll(async () => {
    writeColourFolder(data, { train: 4, val: 2 });
    await tf.setBackend('cpu');
    const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses: 10 });
    await saveBiT(model, checkpoint);
    model.dispose();
  });

  it('a finished run, then a second finetune into it: exit 2 naming --resume and --overwrite, nothing deleted', () => {
    const first = bit(base());
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(join(run, 'notes.txt'), 'mine');
    const before = readFileSync(join(run, 'checkpoint', 'state.json'), 'utf8');
    const second = bit(base());
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/--resume/);
    expect(second.stderr).toMatch(/--overwrite/);
    expect(second.stderr).not.toMatch(/pass resume|or overwrite to/);
    expect(second.stderr).not.toMatch(STACK);
    expect(readFileSync(join(run, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(run, 'checkpoint', 'state.json'), 'utf8')).toBe(before);
    expect(existsSync(join(run, 'model', 'model.json'))).toBe(true);
  });

  it("a folder that is not a run but has the user's model/: refused, even with --overwrite", () => {
    const mine = join(work, 'mine');
    mkdirSync(join(mine, 'model'), { recursive: true });
    writeFileSync(join(mine, 'model', 'weights.bin'), 'precious');
    const r = bit([...base().map((a) => (a === run ? mine : a)), '--overwrite']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a bit run but holds model/);
    expect(readFileSync(join(mine, 'model', 'weights.bin'), 'utf8')).toBe('precious');
  });

  it('--resume and --overwrite together, and --memory with --batch-split, are refused', () => {
    expect(bit([...base(), '--resume', '--overwrite']).stderr).toMatch(
      /--resume or --overwrite, not both/,
    );
    expect(bit([...base(), '--memory', '100', '--batch-split', '2']).stderr).toMatch(
      /--batch-split or --memory, not both/,
    );
  });

  it('--memory picks the batch split the estimator gives, and says so', () => {
    const out = join(work, 'run-memory');
    // Budget for 2 images per micro-batch of this model at 16 px (params of a 3-class head).
    const params = (() => {
      const m = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses: 10 });
      const n = m.countParams();
      m.dispose();
      return n;
    })();
    const arch = { units: [1, 1, 1, 1], width: 0.5, parameters: params };
    const probe = planBatchSplitForMemory(6, 1e12, arch, 16).estimate;
    const budgetMb = (probe.fixedBytes + 2.5 * probe.bytesPerImage) / 2 ** 20;
    const expected = planBatchSplitForMemory(6, budgetMb * 2 ** 20, arch, 16);
    expect(expected.microBatch).toBe(2);
    const args = base().map((a) => (a === run ? out : a));
    const r = bit([...args, '--memory', budgetMb.toFixed(3)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /memory budget .* \(--memory\): batch 6 as 3 micro-batches of up to 2/,
    );
    const summary = JSON.parse(r.stdout);
    expect(summary.batchSplit).toBe(3);
    expect(summary.microBatch).toBe(2);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.plan.batchSize).toBe(6);
  });
});

describe('convert: format from --out, contradictions, --force', () => {
  const src = join(tiny, 'weights.npz');

  it('--out x.npz --format tfjs is refused; onnx contradictions and unknown extensions too', () => {
    let r = bit(['convert', src, '--out', join(work, 'x.npz'), '--format', 'tfjs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format tfjs contradicts --out/);
    r = bit(['convert', src, '--out', join(work, 'x.npz'), '--format', 'onnx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format onnx needs an --out ending in \.onnx/);
    r = bit(['convert', src, '--out', join(work, 'x.onnx'), '--dtype', 'float16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/float32 weights only/);
    expect(existsSync(join(work, 'x.onnx'))).toBe(false);
    r = bit(['convert', src, '--out', join(work, 'x.h5')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot tell the format from '\.h5'/);
    expect(existsSync(join(work, 'x.npz'))).toBe(false);
  });

  it('infers npz from .npz, refuses to overwrite without --force, replaces with it', () => {
    const out = join(work, 'converted.npz');
    let r = bit(['convert', src, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).format).toBe('npz');
    writeFileSync(out, 'user data');
    r = bit(['convert', src, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('user data');
    r = bit(['convert', src, '--out', out, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(1000);
    r = bit(['convert', src, '--out', join(work, 'folder'), '--compress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--compress applies to \.npz output only/);
  });
});

it('hyperrule in text mode: an aligned table with every field of the plan', () => {
  const r = bit(['hyperrule', '--dataset-size', '1000', '--image-size', '28x28']);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^field +value +meaning$/);
  const valueColumn = lines[0].indexOf('value');
  const byField = new Map(lines.slice(1).map((l) => [l.split(/\s+/)[0], l]));
  for (const [field, value] of [
    ['precrop', '160'],
    ['crop', '128'],
    ['schedule', '100, 200, 300, 400, 500'],
    ['batchSize', '512'],
    ['imageSize', '28x28'],
    ['mixupAlpha', '0'],
  ]) {
    const line = byField.get(field)!;
    expect(line, field).toBeDefined();
    expect(line.slice(valueColumn).startsWith(value), `${field}: ${line}`).toBe(true);
  }
  expect(byField.size).toBe(13);
});

it('node_modules/.bin/bit is the repo CLI (the committed bin shim)', () => {
  const root = join(__dirname, '..', '..', '..');
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ bit: './bin/bit.js' });
  expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  const linked = join(root, 'node_modules', '.bin', 'bit');
  expect(realpathSync(linked)).toBe(realpathSync(CLI));
  const r = spawnSync(linked, ['--version'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
