import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunFolder, runPaths } from '../src/node';

describe('isRunFolder (the run-folder layout)', () => {
  const root = mkdtempSync(join(tmpdir(), 'bit-run-folder-'));
  const dir = (name: string) => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };

  it('a checkpoint, a finished model or metrics make a run folder', async () => {
    const withState = dir('state');
    mkdirSync(runPaths(withState).checkpoint);
    writeFileSync(runPaths(withState).state, '{}');
    const withModel = dir('model');
    mkdirSync(runPaths(withModel).model);
    writeFileSync(join(runPaths(withModel).model, 'model.json'), '{}');
    const withMetrics = dir('metrics');
    writeFileSync(runPaths(withMetrics).metrics, '');
    const aside = dir('aside');
    mkdirSync(join(aside, '.checkpoint.old-1-abcd'));
    for (const d of [withState, withModel, withMetrics, aside])
      expect(await isRunFolder(d), d).toBe(true);
  });

  it('a missing path, a file, an empty folder or a folder of other things is not', async () => {
    const other = dir('other');
    mkdirSync(join(other, 'model')); // a model/ folder without model.json
    mkdirSync(join(other, 'checkpoint')); // a checkpoint/ folder without state.json
    writeFileSync(join(other, 'notes.txt'), 'x');
    const file = join(root, 'file.txt');
    writeFileSync(file, 'x');
    for (const d of [join(root, 'missing'), file, dir('empty'), other])
      expect(await isRunFolder(d), d).toBe(false);
  });
});
