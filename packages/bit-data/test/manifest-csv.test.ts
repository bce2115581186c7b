import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../src/errors';
import { parseCsvManifest, parseCsvRows } from '../src/formats/manifest';

describe('CSV manifests (papaparse)', () => {
  it('quoted fields with commas, doubled quotes and line breaks; CRLF and LF mixed', () => {
    const rows = parseCsvRows('path,label\r\n"a, ""b"".png",cat\n"two\nlines.png",dog\r\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['path', 'label'],
      ['a, "b".png', 'cat'],
      ['two\nlines.png', 'dog'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it('blank lines are skipped and rows keep their own line numbers', () => {
    const rows = parseCsvManifest('\uFEFFpath,label\n\n"x\ny.png",1\n\n\nz.png,cat\n', 'm.csv');
    expect(rows).toEqual([
      { path: 'x\ny.png', label: 1, line: 3 },
      { path: 'z.png', label: 'cat', line: 7 },
    ]);
  });

  it('an unterminated quote is an error naming the file and the line', () => {
    const bad = () => parseCsvManifest('path,label\nok.png,cat\nb.png,"dog\nc.png,cat\n', 'm.csv');
    expect(bad).toThrow(DataFormatError);
    expect(bad).toThrow(/^m\.csv:3: quoted field unterminated/);
  });

  it('a short row names its line', () => {
    expect(() => parseCsvManifest('path,label\na.png,cat\n\nb.png\n', 'm.csv')).toThrow(
      /m\.csv:4: the row needs a path and a label/,
    );
  });
});
