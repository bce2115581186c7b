/** The CLI maps errors to exit codes by the packages' error base classes and their inputError flag. */
import { describe, expect, it } from 'vitest';
import { HyperRuleError, resolutionForCrop } from '@bit/hyperrule';
import { ChannelGroupsError } from '@bit/layers';
import { WasmKernelError } from '@bit/layers/kernels';
import { ByteSourceError, CheckpointFormatError, LabelsError, TfjsFormatError } from '@bit/models';
import { DataFormatError, SourceNotFoundError } from '@bit/data';
import { CheckpointError, NonFiniteLossError, TrainConfigError } from '@bit/train';
import { describeError, isInputError, UsageError } from '../src/errors';

describe('isInputError', () => {
  it('input errors of every package map to exit 2', () => {
    let hyper: unknown;
    try {
      resolutionForCrop(-1);
    } catch (e) {
      hyper = e;
    }
    expect(hyper).toBeInstanceOf(HyperRuleError);
    for (const err of [
      hyper,
      new UsageError('x'),
      new ChannelGroupsError(16, 32, 'gn'),
      new CheckpointFormatError('truncated', 'a.npz', undefined, 'cut'),
      new ByteSourceError('short-read', 'a.npz', 'short'),
      new TfjsFormatError('invalid-json', 'm/model.json', 'bad'),
      new LabelsError('unknown label set'),
      new DataFormatError('bad row', 'a.csv'),
      new SourceNotFoundError('nothing opens it'),
      new TrainConfigError('bad option'),
      new CheckpointError('state.json is not JSON'),
      Object.assign(new Error('gone'), { code: 'ENOENT', path: '/nope' }),
    ]) {
      expect(isInputError(err), String(err)).toBe(true);
    }
  });

  it('failures of the run or the environment map to exit 1', () => {
    for (const err of [
      new NonFiniteLossError(3, NaN),
      new WasmKernelError('backend is not wasm'),
      new ByteSourceError('http-status', 'https://x/y.npz', '503'),
      new TfjsFormatError('write-failed', 'out', 'disk full'),
      new CheckpointError('writing failed', {
        cause: Object.assign(new Error('full'), { code: 'ENOSPC' }),
      }),
      new RangeError('Invalid array length'),
      new TypeError('x is undefined'),
      'a string',
    ]) {
      expect(isInputError(err), String(err)).toBe(false);
    }
  });

  it('describes a missing path as "no such file or directory: PATH"', () => {
    const err = Object.assign(new Error("ENOENT: open '/x/y'"), { code: 'ENOENT', path: '/x/y' });
    expect(describeError(err)).toBe('no such file or directory: /x/y');
  });
});
