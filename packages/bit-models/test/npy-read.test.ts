import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../src/errors';
import { buildNpyHeader, float32ToFloat16, readNpy } from '../src/formats/npz/index';

function npy(header: Uint8Array, data: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

describe('readNpy', () => {
  const values = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7 - 1);

  it('reads float32, float16 and float64 files as float32 with their shape', () => {
    const f32 = readNpy(npy(buildNpyHeader('float32', [2, 3, 4]), values), 'a.npy');
    expect(f32).toMatchObject({ name: 'a', dtype: 'float32', shape: [2, 3, 4] });
    expect(Array.from(f32.data)).toEqual(Array.from(values));
    const f16 = readNpy(
      npy(buildNpyHeader('float16', [24]), float32ToFloat16(values)),
      'dir/b.npy',
    );
    expect(f16.name).toBe('b');
    expect(f16.data).toBeInstanceOf(Float32Array);
    for (let i = 0; i < values.length; i++)
      expect(Math.abs(f16.data[i] - values[i])).toBeLessThan(2e-3);
    const f64 = readNpy(npy(buildNpyHeader('float64', [4, 6]), Float64Array.from(values)), 'c.npy');
    expect(Array.from(f64.data)).toEqual(Array.from(values));
  });

  it('reads big-endian data', () => {
    const header = buildNpyHeader('float32', [3]);
    const text = new TextDecoder('latin1').decode(header).replace("'<f4'", "'>f4'");
    const be = new DataView(new ArrayBuffer(12));
    [1.5, -2, 3.25].forEach((v, i) => be.setFloat32(4 * i, v, false));
    const bytes = npy(
      Uint8Array.from(text, (c) => c.charCodeAt(0)),
      be,
    );
    expect(Array.from(readNpy(bytes, 'be.npy').data)).toEqual([1.5, -2, 3.25]);
  });

  it('refuses cut-off data and bad headers with a CheckpointFormatError naming the file', () => {
    const whole = npy(buildNpyHeader('float32', [2, 3, 4]), values);
    const cut = () => readNpy(whole.subarray(0, whole.length - 5), 'cut.npy');
    expect(cut).toThrow(CheckpointFormatError);
    expect(cut).toThrow(/cut\.npy.*cut off.*\[truncated\]/);
    expect(() => readNpy(new TextEncoder().encode('not numpy at all'), 'x.npy')).toThrow(
      /x\.npy.*\[bad-npy-header\]/,
    );
  });
});
