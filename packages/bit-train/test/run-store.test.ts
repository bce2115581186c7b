/**
 * NodeRunStore crash safety (issue 13, items 3 and 5): the last two checkpoints are kept, a
 * damaged latest one is reported and the one before is used, leftovers of a killed process are
 * cleaned up on the next start, every interrupted rotation still reads back a complete
 * checkpoint, and a full or read-only disk fails with a clear error leaving the good state intact.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

/** Set to make writes under paths matching `pattern` fail with `code` (ENOSPC at write, EACCES at open). */
const injected: { code?: string; pattern?: RegExp } = {};

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const failure = (code: string, path: string) =>
    Object.assign(new Error(`${code}: injected failure, '${path}'`), { code, path });
  const matches = (path: unknown) =>
    injected.code !== undefined && injected.pattern!.test(String(path));
  const open: typeof real.open = async (path, flags, mode) => {
    const writing = typeof flags === 'string' && /[wa+]/.test(flags);
    if (writing && matches(path) && injected.code === 'EACCES')
      throw failure('EACCES', String(path));
    const handle = await real.open(path, flags, mode);
    if (!writing || !matches(path) || injected.code !== 'ENOSPC') return handle;
    // Disk full: the first write of data fails.
    return new Proxy(handle, {
      get(target, key, receiver) {
        if (key === 'write' || key === 'writeFile')
          return async () => {
            throw failure('ENOSPC', String(path));
          };
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  const mkdir: typeof real.mkdir = (async (path: unknown, options: unknown) => {
    if (matches(path) && injected.code === 'EACCES') throw failure('EACCES', String(path));
    return real.mkdir(path as string, options as never);
  }) as typeof real.mkdir;
  const rename: typeof real.rename = async (from, to) => {
    if (matches(to) && injected.code === 'EACCES') throw failure('EACCES', String(to));
    return real.rename(from, to);
  };
  const mocked = { ...real, open, mkdir, rename };
  return { ...mocked, default: mocked };
});

const { CheckpointError, CheckpointWriteError } = await import('../src/errors');
const { NodeRunStore } = await import('../src/node/run-store');
type TrainCheckpoint = import('../src/run/types').TrainCheckpoint;

const work = mkdtempSync(join(tmpdir(), 'bit-run-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  injected.code = undefined;
  injected.pattern = undefined;
});

let folders = 0;
const freshDir = () => join(work, `run-${folders++}`);

function checkpointAt(step: number): TrainCheckpoint {
  const w = new Float32Array(6).map((_, i) => step * 10 + i);
  return {
    state: {
      version: 1,
      step,
      finished: false,
      data: null,
      plan: { schedule: [1, 2, 3], batchSize: 2, baseLr: 0.1 } as never,
      mode: 'full',
      seed: 0,
      mixupAlpha: 0,
      resolution: { precrop: 8, crop: 8 },
      classes: ['a', 'b'],
      batchSplit: 1,
      savedAt: new Date(0).toISOString(),
    },
    weights: [{ name: 'w', shape: [2, 3], data: w }],
    slots: [{ name: 'w', shape: [2, 3], data: w.map((v) => -v) }],
  };
}

async function stepRead(store: InstanceType<typeof NodeRunStore>): Promise<number | undefined> {
  const c = await store.readCheckpoint();
  if (c) expect(Array.from(c.weights[0].data as Float32Array)[1]).toBe(c.state.step * 10 + 1);
  return c?.state.step;
}

describe('NodeRunStore', () => {
  it('keeps the latest two checkpoints and nothing else', async () => {
    const dir = freshDir();
    const store = new NodeRunStore(dir);
    for (let s = 1; s <= 3; s++) await store.writeCheckpoint(checkpointAt(s));
    expect(readdirSync(dir).sort()).toEqual(['checkpoint', 'checkpoint.prev']);
    expect(await stepRead(store)).toBe(3);
    expect((await new NodeRunStore(dir).readState())?.step).toBe(3);
  });

  it('a truncated latest checkpoint: reported, the previous one is used, and the next write sets it aside', async () => {
    const dir = freshDir();
    const store = new NodeRunStore(dir);
    for (let s = 1; s <= 3; s++) await store.writeCheckpoint(checkpointAt(s));
    truncateSync(join(dir, 'checkpoint', 'weights.npz'), 100);
    const resumed = new NodeRunStore(dir);
    expect(await stepRead(resumed)).toBe(2);
    expect(resumed.notices.join('\n')).toMatch(
      /latest checkpoint is damaged.*checkpoint[/\\]weights\.npz.*resuming from the previous one.*step 2/,
    );
    await resumed.writeCheckpoint(checkpointAt(3));
    // The good step-2 checkpoint stays the previous one; the damaged one is kept for a look.
    expect(readdirSync(dir).sort()).toEqual([
      'checkpoint',
      'checkpoint.damaged',
      'checkpoint.prev',
    ]);
    expect(await stepRead(new NodeRunStore(dir))).toBe(3);
    rmSync(join(dir, 'checkpoint'), { recursive: true });
    expect(await stepRead(new NodeRunStore(dir))).toBe(2);
  });

  it('a damaged state.json falls back too; both damaged is a CheckpointError naming the file', async () => {
    const dir = freshDir();
    const store = new NodeRunStore(dir);
    for (let s = 1; s <= 2; s++) await store.writeCheckpoint(checkpointAt(s));
    writeFileSync(join(dir, 'checkpoint', 'state.json'), '{"version": 1, "st');
    const r = new NodeRunStore(dir);
    expect((await r.readState())?.step).toBe(1);
    expect(r.notices[0]).toMatch(/checkpoint[/\\]state\.json: not valid JSON/);
    expect(await stepRead(r)).toBe(1);
    writeFileSync(join(dir, 'checkpoint.prev', 'state.json'), '{"version": 1, "step": -4}');
    const both = new NodeRunStore(dir);
    await expect(both.readCheckpoint()).rejects.toThrow(CheckpointError);
    await expect(both.readCheckpoint()).rejects.toThrow(
      /checkpoint[/\\]state\.json.*not valid JSON.*"step" must be/,
    );
  });

  it('every interrupted rotation leaves a complete checkpoint, and the next start cleans up', async () => {
    // Build the folder states a SIGKILL can leave between the steps of writeCheckpoint.
    const base = freshDir();
    const store = new NodeRunStore(base);
    await store.writeCheckpoint(checkpointAt(1));
    await store.writeCheckpoint(checkpointAt(2));
    const next = freshDir();
    await new NodeRunStore(next).writeCheckpoint(checkpointAt(3));
    const deadPid = 2 ** 22 + 17; // above Linux's pid_max default, so never running
    const tmpName = `.checkpoint.tmp-${deadPid}-aa`;
    const asideName = `.checkpoint.old-${deadPid}-aa`;
    const cases: {
      name: string;
      build: (d: string) => void;
      step: number;
      prev: number | undefined;
    }[] = [
      {
        name: 'killed while writing the temporary folder',
        build: (d) => {
          mkdirSync(join(d, tmpName));
          writeFileSync(join(d, tmpName, 'weights.npz'), 'half');
        },
        step: 2,
        prev: 1,
      },
      {
        name: 'killed after checkpoint.prev was set aside',
        build: (d) => {
          cpSync(join(next, 'checkpoint'), join(d, tmpName), { recursive: true });
          cpSync(join(d, 'checkpoint.prev'), join(d, asideName), { recursive: true });
          rmSync(join(d, 'checkpoint.prev'), { recursive: true });
        },
        step: 2,
        prev: 1,
      },
      {
        name: 'killed after checkpoint/ became checkpoint.prev',
        build: (d) => {
          cpSync(join(next, 'checkpoint'), join(d, tmpName), { recursive: true });
          cpSync(join(d, 'checkpoint.prev'), join(d, asideName), { recursive: true });
          rmSync(join(d, 'checkpoint.prev'), { recursive: true });
          cpSync(join(d, 'checkpoint'), join(d, 'checkpoint.prev'), { recursive: true });
          rmSync(join(d, 'checkpoint'), { recursive: true });
        },
        step: 2,
        prev: undefined,
      },
      {
        name: 'killed before the aside folder was removed',
        build: (d) => {
          cpSync(join(d, 'checkpoint.prev'), join(d, asideName), { recursive: true });
          rmSync(join(d, 'checkpoint.prev'), { recursive: true });
          cpSync(join(d, 'checkpoint'), join(d, 'checkpoint.prev'), { recursive: true });
          rmSync(join(d, 'checkpoint'), { recursive: true });
          cpSync(join(next, 'checkpoint'), join(d, 'checkpoint'), { recursive: true });
        },
        step: 3,
        prev: 2,
      },
    ];
    for (const c of cases) {
      const d = freshDir();
      cpSync(base, d, { recursive: true });
      c.build(d);
      const s = new NodeRunStore(d);
      expect(await stepRead(s), c.name).toBe(c.step);
      await s.cleanLeftovers();
      expect(
        readdirSync(d).filter((n) => n.startsWith('.')),
        c.name,
      ).toEqual([]);
      expect(await stepRead(new NodeRunStore(d)), c.name).toBe(c.step);
      rmSync(join(d, 'checkpoint'), { recursive: true, force: true });
      expect(await stepRead(new NodeRunStore(d)), `${c.name}: previous`).toBe(c.prev ?? c.step);
    }
  });

  it("removes the final model's leftovers of a killed save; a model moved aside comes back", async () => {
    const deadPid = 2 ** 22 + 17;
    const dir = freshDir();
    await new NodeRunStore(dir).writeCheckpoint(checkpointAt(1));
    const model = (tag: string, text: string) => {
      mkdirSync(join(dir, tag));
      writeFileSync(join(dir, tag, 'model.json'), text);
    };
    model('model', 'current');
    model(`.model.tmp-${deadPid}-aa`, 'half written');
    model(`.model.old-${deadPid}-bb`, 'previous');
    const removed = await new NodeRunStore(dir).cleanLeftovers();
    expect(removed.sort()).toEqual([`.model.old-${deadPid}-bb`, `.model.tmp-${deadPid}-aa`]);
    expect(readFileSync(join(dir, 'model', 'model.json'), 'utf8')).toBe('current');
    // Killed after the previous model was moved aside and before the new one was moved in.
    rmSync(join(dir, 'model'), { recursive: true });
    model(`.model.tmp-${deadPid}-cc`, 'complete but not moved');
    model(`.model.old-${deadPid}-dd`, 'previous');
    expect(await new NodeRunStore(dir).cleanLeftovers()).toEqual([`.model.tmp-${deadPid}-cc`]);
    expect(readFileSync(join(dir, 'model', 'model.json'), 'utf8')).toBe('previous');
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('leftovers of a process that is still running are kept', async () => {
    const dir = freshDir();
    await new NodeRunStore(dir).writeCheckpoint(checkpointAt(1));
    const mine = `.checkpoint.tmp-${process.pid}-bb`;
    mkdirSync(join(dir, mine));
    expect(await new NodeRunStore(dir).cleanLeftovers()).toEqual([]);
    expect(existsSync(join(dir, mine))).toBe(true);
  });

  it.each([
    ['ENOSPC', /no space left on device \(ENOSPC\)/],
    ['EACCES', /permission denied \(EACCES\)/],
  ])(
    '%s while writing a checkpoint: a clear error, the previous checkpoint intact',
    async (code, message) => {
      const dir = freshDir();
      const store = new NodeRunStore(dir);
      await store.writeCheckpoint(checkpointAt(1));
      await store.writeCheckpoint(checkpointAt(2));
      injected.code = code;
      injected.pattern = /\.checkpoint\.tmp-|[/\\]checkpoint(\.prev)?$/;
      const error = await store.writeCheckpoint(checkpointAt(3)).catch((e) => e);
      expect(error).toBeInstanceOf(CheckpointWriteError);
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/previous checkpoint is unchanged/);
      expect(error.code).toBe(code);
      injected.code = undefined;
      expect(readdirSync(dir).sort()).toEqual(['checkpoint', 'checkpoint.prev']);
      expect(await stepRead(new NodeRunStore(dir))).toBe(2);
    },
  );

  it.each(['ENOSPC', 'EACCES'])(
    '%s while writing metrics: a CheckpointWriteError naming the file',
    async (code) => {
      const dir = freshDir();
      const store = new NodeRunStore(dir);
      await store.appendMetrics([{ step: 0, loss: 1, lr: 0.1, imagesPerSecond: 1, lambda: 1 }]);
      injected.code = code;
      injected.pattern = /metrics\.jsonl/;
      // appendFile opens through the real module internally, so truncateMetrics (open + rename) is the case.
      await expect(store.truncateMetrics(0)).rejects.toThrow(
        /metrics\.jsonl.*\(E(NOSPC|ACCES)\).*unchanged/,
      );
      injected.code = undefined;
      expect(await store.readMetrics()).toHaveLength(1);
      expect(readdirSync(dir)).toEqual(['metrics.jsonl']);
    },
  );
});
