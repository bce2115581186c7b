import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, type CheckpointFormatErrorCode } from '../src/errors';
import { encodeNpz, openNpz, type OpenNpzOptions } from '../src/formats/npz/index';
import { MemoryByteSource } from '../src/io/index';
import {
  CountingSource,
  f32Bytes,
  makeZip,
  npyBytes,
  rng,
  simpleNpy,
  type ZipMemberSpec,
} from './helpers/npz-reference';

const FILE = 'hostile.npz';

/** Opens `bytes` and reads every array; returns the error thrown. */
async function failure(
  bytes: Uint8Array,
  options: OpenNpzOptions = {},
): Promise<CheckpointFormatError> {
  try {
    const archive = await openNpz(new MemoryByteSource(bytes, FILE), options);
    for await (const _ of archive) {
      // read everything
    }
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointFormatError);
    return error as CheckpointFormatError;
  }
  throw new Error('expected the archive to be refused');
}

async function expectRefused(
  bytes: Uint8Array,
  code: CheckpointFormatErrorCode,
  member?: string,
  options?: OpenNpzOptions,
): Promise<CheckpointFormatError> {
  const error = await failure(bytes, options);
  expect(error.code).toBe(code);
  expect(error.name).toBe('CheckpointFormatError');
  expect(error.file).toBe(FILE);
  expect(error.message).toContain(`"${FILE}"`);
  if (member !== undefined) {
    expect(error.member).toBe(member);
    expect(error.message).toContain(`"${member}"`);
  }
  return error;
}

const good = (name = 'w.npy', extra: Partial<ZipMemberSpec> = {}): ZipMemberSpec => ({
  name,
  payload: simpleNpy([1, 2, 3, 4]),
  ...extra,
});

function eocdOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 22, 22);
}

describe('hostile or damaged archives are refused with typed errors', () => {
  it('control: the unmodified hand-built archive reads', async () => {
    const archive = await openNpz(
      new MemoryByteSource(makeZip([good(), good('b.npy', { method: 8 })]), FILE),
    );
    expect(Array.from((await archive.read('b')).data)).toEqual([1, 2, 3, 4]);
  });

  it('empty file', () => expectRefused(new Uint8Array(0), 'not-zip'));

  it('random bytes', async () => {
    const r = rng(1);
    const bytes = new Uint8Array(5000).map(() => Math.floor(r() * 256));
    await expectRefused(bytes, 'not-zip');
  });

  it('a text file', () =>
    expectRefused(new TextEncoder().encode('not a zip at all\n'.repeat(10)), 'not-zip'));

  it('truncated file (download cut in half)', async () => {
    const bytes = await encodeNpz([{ name: 'w', shape: [1000], data: new Float32Array(1000) }]);
    await expectRefused(bytes.subarray(0, bytes.length >> 1), 'truncated');
    await expectRefused(bytes.subarray(0, 10), 'truncated');
  });

  it('end record points the central directory outside the file', async () => {
    const bytes = makeZip([good()]);
    eocdOf(bytes).setUint32(16, bytes.length + 1000, true);
    await expectRefused(bytes, 'out-of-bounds');
    const sized = makeZip([good()]);
    eocdOf(sized).setUint32(12, 0x7fffffff, true);
    await expectRefused(sized, 'out-of-bounds');
  });

  it('zip64 locator points outside the file', async () => {
    const bytes = makeZip([good()], { zip64: true, zip64Offset: 2 ** 40 });
    await expectRefused(bytes, 'out-of-bounds');
  });

  it('zip64 end record points the central directory outside the file', async () => {
    const bytes = makeZip([good()], { zip64: true, cdOffset: 2 ** 33 });
    await expectRefused(bytes, 'out-of-bounds');
  });

  it('more members than the central directory can hold', async () => {
    const bytes = makeZip([good()], { entries: 5000 });
    const error = await expectRefused(bytes, 'too-many-entries');
    expect(error.message).toContain('5000');
  });

  it('absurd member count in a zip64 end record (> 100k)', async () => {
    const bytes = makeZip([good()], { zip64: true, entries: 10_000_000 });
    await expectRefused(bytes, 'too-many-entries');
    await expectRefused(
      makeZip([good(), good('b.npy'), good('c.npy')]),
      'too-many-entries',
      undefined,
      {
        maxEntries: 2,
      },
    );
  });

  it('a member that inflates past its declared size is stopped at once', async () => {
    // header says 4 float32, declared size matches, but the stream holds 50 MB more
    const header = simpleNpy([1, 2, 3, 4]);
    const bomb = new Uint8Array(header.length + 50 * 1024 * 1024);
    bomb.set(header);
    const zip = makeZip([
      { name: 'bomb.npy', payload: header, method: 8, compressed: deflateSync(bomb, { level: 9 }) },
    ]);
    const counting = new CountingSource(new MemoryByteSource(zip, FILE));
    const error = await openNpz(counting, { chunkSize: 4096 })
      .then((archive) => archive.read('bomb'))
      .then(
        () => undefined,
        (e: unknown) => e as CheckpointFormatError,
      );
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect(error!.code).toBe('inflate-overflow');
    expect(error!.member).toBe('bomb.npy');
    expect(error!.message).toContain('"bomb.npy"');
    expect(error!.message).toContain(`"${FILE}"`);
    // Stopped within the first 4 KiB of member data, long before its ~50 KB were consumed
    // (reads of the end records and central directory do not count).
    const cdOffset = eocdOf(zip).getUint32(16, true);
    expect(cdOffset).toBeGreaterThan(40_000);
    const memberBytes = counting.reads
      .filter((r) => r.offset + r.length <= cdOffset)
      .reduce((a, r) => a + r.length, 0);
    expect(memberBytes).toBeLessThanOrEqual(4096 + 2048);
  });

  it('a member that ends before its declared size', async () => {
    const payload = simpleNpy([1, 2, 3, 4]);
    const short = payload.subarray(0, payload.length - 8);
    await expectRefused(
      makeZip([{ name: 'w.npy', payload, method: 8, compressed: deflateSync(short) }]),
      'inflate-underflow',
      'w.npy',
    );
  });

  it('declared sizes deflate cannot produce are refused before allocating', async () => {
    const payload = simpleNpy([1, 2]);
    await expectRefused(
      makeZip([{ name: 'w.npy', payload, method: 8, usize: 2 ** 32 + 5 }]),
      'bad-sizes',
      'w.npy',
    );
    await expectRefused(
      makeZip([{ name: 'w.npy', payload, usize: payload.length + 4 }]),
      'bad-sizes',
      'w.npy',
    );
  });

  it('an .npy shape that disagrees with the member size', async () => {
    const payload = npyBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }",
      f32Bytes([1, 2, 3]),
    );
    await expectRefused(makeZip([{ name: 'w.npy', payload }]), 'shape-mismatch', 'w.npy');
    await expectRefused(
      makeZip([{ name: 'w.npy', payload, method: 8 }]),
      'shape-mismatch',
      'w.npy',
    );
  });

  for (const [what, shape, code] of [
    ['negative dimension', '(-4,)', 'bad-shape'],
    ['non-integer dimension', '(2.5, 2)', 'bad-shape'],
    ['more than 2^31 elements', '(65536, 65536)', 'bad-shape'],
    ['more elements than the member holds', '(1000000,)', 'shape-mismatch'],
    ['shape that is not a tuple of integers', "('a', 2)", 'bad-shape'],
  ] as const) {
    it(`absurd shape: ${what}`, async () => {
      const payload = npyBytes(
        `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`,
        f32Bytes([1, 2, 3, 4]),
      );
      await expectRefused(makeZip([{ name: 'w.npy', payload }]), code, 'w.npy');
    });
  }

  it('CRC mismatch (one flipped data byte)', async () => {
    const zip = makeZip([good('a.npy'), good('b.npy')]);
    // flip the last data byte of the first member (just before the second local header)
    const second = zip.findIndex(
      (_, i) => i > 4 && zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 3,
    );
    zip[second - 1] ^= 0x01;
    await expectRefused(zip, 'crc-mismatch', 'a.npy');
    await expectRefused(
      makeZip([good('d.npy', { method: 8, crc: 0xdeadbeef })]),
      'crc-mismatch',
      'd.npy',
    );
  });

  it('unsupported compression method (bzip2 = 12)', () =>
    expectRefused(makeZip([good('w.npy', { method: 12 })]), 'unsupported-compression', 'w.npy'));

  it('encrypted member', () =>
    expectRefused(makeZip([good('w.npy', { flags: 1 })]), 'encrypted', 'w.npy'));

  it('local header names another file than the central directory', async () => {
    const error = await expectRefused(
      makeZip([good('w.npy', { localName: 'x.npy' })]),
      'local-header-mismatch',
      'w.npy',
    );
    expect(error.message).toContain('x.npy');
  });

  it('local header with another compression method', () =>
    expectRefused(makeZip([good('w.npy', { localMethod: 8 })]), 'local-header-mismatch', 'w.npy'));

  it('two entries sharing the same data (overlapping members)', () =>
    expectRefused(
      makeZip([good('a.npy'), good('b.npy', { localOffset: 0 })]),
      'overlapping-members',
    ));

  it('member data running into the central directory', () =>
    expectRefused(
      makeZip([good('w.npy', { csize: 5000, usize: 5000 })]),
      'out-of-bounds',
      'w.npy',
    ));

  it('local header offset beyond the member area', () =>
    expectRefused(makeZip([good('w.npy', { localOffset: 1 << 20 })]), 'out-of-bounds', 'w.npy'));

  it('no local header where the central directory says', () =>
    expectRefused(makeZip([good('w.npy', { localOffset: 10 })]), 'bad-local-header', 'w.npy'));

  it('duplicate member names', () =>
    expectRefused(makeZip([good('w.npy'), good('w.npy')]), 'duplicate-member', 'w.npy'));

  it('corrupt deflate data', async () => {
    const payload = simpleNpy(Array.from({ length: 200 }, (_, i) => Math.sin(i)));
    const compressed = deflateSync(payload);
    compressed.fill(0xff, 40, 60);
    await expectRefused(
      makeZip([{ name: 'w.npy', payload, method: 8, compressed }]),
      'bad-deflate',
      'w.npy',
    );
  });

  it('unsupported dtypes name the dtype', async () => {
    for (const descr of ['<i4', '|u1', '<c8', '=f4']) {
      const payload = npyBytes(
        `{'descr': '${descr}', 'fortran_order': False, 'shape': (4,), }`,
        f32Bytes([1, 2, 3, 4]),
      );
      const error = await expectRefused(
        makeZip([{ name: 'w.npy', payload }]),
        'unsupported-dtype',
        'w.npy',
      );
      expect(error.message).toContain(descr);
    }
    const structured = npyBytes(
      "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }",
      f32Bytes([1, 2, 3, 4]),
    );
    await expectRefused(
      makeZip([{ name: 'w.npy', payload: structured }]),
      'unsupported-dtype',
      'w.npy',
    );
  });

  it('Fortran-ordered arrays', () =>
    expectRefused(
      makeZip([
        {
          name: 'w.npy',
          payload: npyBytes(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
            f32Bytes([1, 2, 3, 4]),
          ),
        },
      ]),
      'fortran-order',
      'w.npy',
    ));

  it('malformed .npy headers', async () => {
    const notNpy = new TextEncoder().encode('hello, not an npy file at all');
    await expectRefused(makeZip([{ name: 'w.npy', payload: notNpy }]), 'bad-npy-header', 'w.npy');
    const version9 = simpleNpy([1]);
    version9[6] = 9;
    await expectRefused(makeZip([{ name: 'w.npy', payload: version9 }]), 'bad-npy-header', 'w.npy');
    const garbled = npyBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ",
      f32Bytes([1]),
    );
    await expectRefused(makeZip([{ name: 'w.npy', payload: garbled }]), 'bad-npy-header', 'w.npy');
    const cut = simpleNpy([1]).subarray(0, 40);
    await expectRefused(makeZip([{ name: 'w.npy', payload: cut }]), 'bad-npy-header', 'w.npy');
    const huge = simpleNpy([1]);
    huge[6] = 2;
    huge.set([0, 0, 0, 0x10], 8); // 256 MB header length
    await expectRefused(makeZip([{ name: 'w.npy', payload: huge }]), 'bad-npy-header', 'w.npy');
  });

  it('reading a member that does not exist', async () => {
    const archive = await openNpz(new MemoryByteSource(makeZip([good()]), FILE));
    const error = (await archive.read('nope').catch((e: unknown) => e)) as CheckpointFormatError;
    expect(error).toMatchObject({ code: 'member-not-found', file: FILE, member: 'nope.npy' });
    expect(error.message).toContain('"nope.npy"');
  });
});
