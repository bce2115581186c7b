/**
 * Crash-safe runs (issue 13, item 3): `bit finetune` and `bit pretrain` killed with SIGKILL at random moments
 * (during steps, checkpoint writes and the final save), then rerun with --resume until it
 * completes, ends with weights byte-identical to an uninterrupted run, every time; and no
 * temporary or aside folder is left in the run folder.
 *
 * Trials: BIT_CRASH_TRIALS (default 2, the CI budget); BIT_CRASH_SEED picks the kill moments.
 * `BIT_CRASH_TRIALS=100 npx vitest run test/crash-safety.test.ts` is the long loop.
 * Needs the built CLI (the root `npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResNetV2, saveBiT } from '@bit/models/node';
import { writeColourFolder } from '../packages/bit-cli/test/image-folder';

const CLI = join(__dirname, '..', 'packages', 'bit-cli', 'dist', 'cli.js');
const TRIALS = Number(process.env.BIT_CRASH_TRIALS ?? 2);
const SEED = Number(process.env.BIT_CRASH_SEED ?? 13);
/** A run that takes this long is reported as hung (a run takes ~10 s on an idle machine). */
const GUARD_MS = Number(process.env.BIT_CRASH_GUARD_MS ?? 240_000);

const work = mkdtempSync(join(tmpdir(), 'bit-crash-'));
const checkpoint = join(work, 'bit-small.npz');

type Command = 'finetune' | 'pretrain';

function args(command: Command, out: string): string[] {
  const model =
    command === 'finetune' ? ['--model', checkpoint] : ['--units', '1,1,1,1', '--width', '0.5'];
  return [
    command,
    ...model,
    '--train',
    join(work, 'train'),
    '--out',
    out,
    '--batch',
    '8',
    '--steps',
    '12',
    '--resolution',
    '16',
    '--seed',
    '1',
    '--checkpoint-every',
    '1',
    '--backend',
    'wasm',
  ];
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
  hung: boolean;
}

/** Runs the CLI; with `killAfterMs`, sends SIGKILL then (if it is still running). */
function runCli(argv: string[], killAfterMs?: number): Promise<Exit> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, GUARD_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({
        code,
        signal,
        stderr: hung ? `${stderr}\n[hung: killed after ${GUARD_MS} ms]` : stderr,
        ms: Date.now() - started,
        hung,
      });
    });
  });
}

/** SHA-256 of every file under `dir` that holds weights (model shards, checkpoint arrays). */
function weightDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of ['model', 'checkpoint']) {
    const folder = join(dir, sub);
    for (const name of readdirSync(folder).sort()) {
      if (name === 'state.json' || name === 'model.json') continue;
      out[`${sub}/${name}`] = createHash('sha256')
        .update(readFileSync(join(folder, name)))
        .digest('hex');
    }
  }
  return out;
}

/** Names in the run folder that are not part of a finished run's layout. */
function strayEntries(dir: string): string[] {
  const expected = new Set(['checkpoint', 'checkpoint.prev', 'metrics.jsonl', 'model']);
  return readdirSync(dir).filter((n) => !expected.has(n));
}

beforeAll(async () => {
  writeColourFolder(work, { train: 8, val: 0 });
  await tf.setBackend('cpu');
  const model = buildResNetV2({ units: [1, 1, 1, 1], width: 0.5, numClasses: 10 });
  await saveBiT(model, checkpoint);
  model.dispose();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(['finetune', 'pretrain'] as const)(
  'bit %s: SIGKILL at random moments, then --resume',
  (command) => {
    let reference: Record<string, string>;
    let referenceMs = 0;
    const referenceDir = join(work, `reference-${command}`);

    beforeAll(async () => {
      const r = await runCli(args(command, referenceDir));
      expect(r.code, r.stderr).toBe(0);
      referenceMs = r.ms;
      reference = weightDigests(referenceDir);
    }, 300_000);

    it(`gives byte-identical weights in each of ${TRIALS} trials and leaves nothing stray`, async () => {
      let s = (SEED + (command === 'pretrain' ? 1 : 0)) >>> 0;
      const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
      const log: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const out = join(work, `${command}-trial-${trial}`);
        // The first start: killed somewhere between process start-up and the very end.
        const killAt = Math.round(referenceMs * (0.25 + 0.8 * rand()));
        const first = await runCli(args(command, out), killAt);
        expect(first.hung, `trial ${trial}: ${first.stderr}`).toBe(false);
        const kills = [first.signal === 'SIGKILL' ? `killed at ${killAt} ms` : `finished`];
        let last = first;
        // Resumes: the first one may be killed again, the next runs to the end.
        for (let attempt = 0; last.code !== 0; attempt++) {
          expect(attempt, `trial ${trial}: ${last.stderr}`).toBeLessThan(4);
          const resumeKill =
            attempt === 0 && rand() < 0.5 ? Math.round(referenceMs * rand()) : undefined;
          last = await runCli([...args(command, out), '--resume'], resumeKill);
          expect(last.hung, `trial ${trial}: ${kills.join(', ')}: ${last.stderr}`).toBe(false);
          if (last.signal !== 'SIGKILL') {
            expect(last.code, `trial ${trial}: ${last.stderr}`).toBe(0);
            expect(last.stderr).not.toMatch(/\n\s+at /);
          } else kills.push(`resume killed at ${resumeKill} ms`);
          kills.push(`resume ${attempt}: exit ${last.code ?? last.signal} after ${last.ms} ms`);
        }
        log.push(`trial ${trial}: ${kills.join(', ')}`);
        expect(weightDigests(out), `trial ${trial} (${kills.join(', ')})`).toEqual(reference);
        expect(strayEntries(out), `trial ${trial}`).toEqual([]);
        rmSync(out, { recursive: true, force: true });
      }
      console.log(`${command}:\n${log.join('\n')}`);
    }, 1_800_000);

    it('a truncated latest checkpoint: --resume says so, resumes from the previous one, same weights', async () => {
      const out = join(work, `${command}-damaged`);
      cpSync(referenceDir, out, { recursive: true });
      rmSync(join(out, 'model'), { recursive: true });
      const weights = join(out, 'checkpoint', 'weights.npz');
      truncateSync(weights, Math.floor(statSync(weights).size / 2));
      const r = await runCli([...args(command, out), '--resume']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/latest checkpoint is damaged/);
      expect(r.stderr).toContain(weights);
      expect(r.stderr).toMatch(/resuming from the previous one .*step 11/);
      expect(weightDigests(out)).toEqual(reference);
      // Both damaged: exit 2, the file named, no stack trace.
      const prev = join(out, 'checkpoint.prev', 'weights.npz');
      truncateSync(join(out, 'checkpoint', 'weights.npz'), 100);
      truncateSync(prev, 100);
      rmSync(join(out, 'model'), { recursive: true });
      const both = await runCli([...args(command, out), '--resume']);
      expect(both.code, both.stderr).toBe(2);
      expect(both.stderr).toContain('weights.npz');
      expect(both.stderr).not.toMatch(/\n\s+at /);
    }, 600_000);

    it('the run folder holds the latest two checkpoints', () => {
      const step = (f: string) =>
        (JSON.parse(readFileSync(join(referenceDir, f, 'state.json'), 'utf8')) as { step: number })
          .step;
      expect(statSync(join(referenceDir, 'checkpoint.prev')).isDirectory()).toBe(true);
      expect(step('checkpoint')).toBe(12);
      expect(step('checkpoint.prev')).toBe(11);
    });
  },
);
