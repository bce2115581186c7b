/**
 * Run folders (Node): fineTuneRun from paths, abort -> checkpoint on disk, resume with each
 * metrics step exactly once, model/ with class names, openRun of partial and finished runs,
 * SIGINT handling.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '@bit/data/node';
import {
  evaluate,
  fineTuneRun,
  installSigintHandler,
  isEvalLine,
  NodeRunStore,
  openRun,
  parseMetrics,
  TrainConfigError,
  type FineTuneRunOptions,
} from '../src/node';
import { tf, useBackend } from '../../../test-utils/backends';
import { seeded, tinyBiT } from './helpers';

const NAMES = [
  'tomato',
  'lime',
  'sky',
  'unused3',
  'unused4',
  'unused5',
  'unused6',
  'unused7',
  'unused8',
  'unused9',
];
const COLOURS = [
  [220, 40, 30],
  [60, 210, 40],
  [40, 80, 230],
];

/** Writes a CIFAR-10 binary folder of noisy solid colours (classes 0-2 only). */
function writeCifar(dir: string): void {
  const rnd = seeded(3);
  const batch = (n: number) => {
    const out = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      out[i * 3073] = c;
      for (let ch = 0; ch < 3; ch++) {
        for (let p = 0; p < 1024; p++) {
          const v = COLOURS[c][ch] + (rnd() - 0.5) * 80;
          out[i * 3073 + 1 + ch * 1024 + p] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    return out;
  };
  writeFileSync(join(dir, 'data_batch_1.bin'), batch(12));
  writeFileSync(join(dir, 'test_batch.bin'), batch(6));
  writeFileSync(join(dir, 'batches.meta.txt'), NAMES.join('\n') + '\n');
}

function stepsOf(dir: string) {
  const lines = parseMetrics(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
  return {
    train: lines.filter((l) => !isEvalLine(l)).map((l) => l.step),
    val: lines.filter(isEvalLine).map((l) => l.step),
  };
}

describe('fineTuneRun and openRun (wasm)', () => {
  let data: string;
  beforeAll(async () => {
    await useBackend('wasm');
    data = mkdtempSync(join(tmpdir(), 'bit-train-data-'));
    writeCifar(data);
  });

  const base = (out: string): FineTuneRunOptions => ({
    model: tinyBiT(10, 4),
    train: data,
    trainOptions: { classes: '0-2' },
    val: data,
    valOptions: { split: 'test', classes: '0-2' },
    out,
    batchSize: 6,
    steps: 6,
    baseLr: 0.02,
    resolution: { precrop: 20, crop: 16 },
    evalEvery: 2,
    handleSigint: false,
  });

  it('abort writes a checkpoint; resume records each step once and writes model/', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bit-train-run-')), 'run');
    const controller = new AbortController();
    const first = await fineTuneRun({
      ...base(out),
      signal: controller.signal,
      callbacks: { onStepEnd: (m) => void (m.step === 2 && controller.abort()) },
    });
    expect(first.status).toBe('aborted');
    expect(first.step).toBe(3);
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'metrics.jsonl']);
    expect(readdirSync(join(out, 'checkpoint')).sort()).toEqual([
      'optimizer.npz',
      'state.json',
      'weights.npz',
    ]);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.step).toBe(3);
    expect(state.classes).toEqual(['tomato', 'lime', 'sky']);
    expect(state.data.step).toBe(3);
    expect(stepsOf(out)).toEqual({ train: [0, 1, 2], val: [2] });

    // A partial run opens from its checkpoint (an official-layout .npz) with its class names.
    const partial = await openRun(out);
    expect(partial.from).toBe('checkpoint');
    expect(partial.step).toBe(3);
    expect(partial.finished).toBe(false);
    expect(partial.classes).toEqual(['tomato', 'lime', 'sky']);
    expect(partial.resolution).toBe(16);
    const p = partial.model.predict(tf.zeros([1, 16, 16, 3])) as tf.Tensor;
    expect(p.shape).toEqual([1, 3]);
    tf.dispose([p]);
    partial.model.dispose();

    // Without resume (or overwrite) the folder is refused.
    await expect(fineTuneRun(base(out))).rejects.toThrow(TrainConfigError);
    await expect(fineTuneRun(base(out))).rejects.toThrow(
      /already holds a run \(checkpoint at step 3\)/,
    );

    // What a crash after the checkpoint could leave: a later line and a torn one.
    appendFileSync(
      join(out, 'metrics.jsonl'),
      '{"step":3,"loss":1,"lr":0,"imagesPerSecond":1,"lambda":1}\n{"step":4,"lo',
    );

    const resumed = await fineTuneRun({ ...base(out), resume: true, log: () => {} });
    expect(resumed.status).toBe('completed');
    expect(resumed.resumedFrom).toBe(3);
    expect(stepsOf(out)).toEqual({ train: [0, 1, 2, 3, 4, 5], val: [2, 4, 6] });
    expect(existsSync(join(out, 'model', 'model.json'))).toBe(true);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
    const ckpt = await new NodeRunStore(out).readState();
    expect(ckpt?.finished).toBe(true);

    const done = await openRun(out);
    expect(done.from).toBe('model');
    expect(done.finished).toBe(true);
    expect(done.step).toBe(6);
    expect(done.classes).toEqual(['tomato', 'lime', 'sky']);
    expect(done.resolution).toBe(16);
    // The saved model is the trained one: same eval as the run's final evaluation.
    const val = await openSource(data, { split: 'test', classes: '0-2' });
    const r = await evaluate(done.model, val, { batchSize: 4 });
    expect(r.count).toBe(6);
    expect(r.top1).toBeCloseTo(resumed.finalEval!.top1, 10);
    expect(r.loss).toBeCloseTo(resumed.finalEval!.loss, 5);
    done.model.dispose();

    // overwrite starts over.
    const again = await fineTuneRun({
      ...base(out),
      steps: 5,
      overwrite: true,
      evalEvery: 0,
      val: undefined,
    });
    expect(again.step).toBe(5);
    expect(stepsOf(out)).toEqual({ train: [0, 1, 2, 3, 4], val: [] });
  });

  it('SIGINT asks for a checkpoint and a stop; a second SIGINT exits', async () => {
    const calls: string[] = [];
    const remove = installSigintHandler(() => calls.push('stop'), {
      log: () => {},
      exit: () => calls.push('exit'),
    });
    const mine = process.listeners('SIGINT').at(-1) as () => void;
    mine();
    mine();
    remove();
    expect(calls).toEqual(['stop', 'exit']);
    expect(process.listeners('SIGINT')).not.toContain(mine);

    // Through fineTuneRun: the handler it installs turns the signal into an abort + checkpoint.
    const out = join(mkdtempSync(join(tmpdir(), 'bit-train-sigint-')), 'run');
    const before = new Set(process.listeners('SIGINT'));
    const result = await fineTuneRun({
      ...base(out),
      val: undefined,
      handleSigint: true,
      log: () => {},
      callbacks: {
        onStepEnd: (m) => {
          if (m.step !== 1) return;
          const handler = process.listeners('SIGINT').find((l) => !before.has(l)) as () => void;
          handler();
        },
      },
    });
    expect(result.status).toBe('aborted');
    expect(result.step).toBe(2);
    expect((await new NodeRunStore(out).readState())?.step).toBe(2);
    expect(process.listeners('SIGINT').filter((l) => !before.has(l))).toEqual([]);
  });
});
