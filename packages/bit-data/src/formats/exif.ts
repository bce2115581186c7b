/** Reads the EXIF orientation tag (0x0112) from a JPEG's APP1 segment. */

/** The EXIF orientation (1..8) of a JPEG, or 1 when it has none or is not a JPEG. */
export function readJpegOrientation(bytes: Uint8Array): number {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return 1;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return 1; // start of scan / end of image
    const len = view.getUint16(p + 2, false);
    const start = p + 4;
    if (
      marker === 0xe1 &&
      start + 6 <= bytes.length &&
      bytes[start] === 0x45 && // 'Exif\0\0'
      bytes[start + 1] === 0x78 &&
      bytes[start + 2] === 0x69 &&
      bytes[start + 3] === 0x66 &&
      bytes[start + 4] === 0 &&
      bytes[start + 5] === 0
    ) {
      const o = readTiffOrientation(view, start + 6, Math.min(p + 2 + len, bytes.length));
      if (o) return o;
    }
    p += 2 + len;
  }
  return 1;
}

function readTiffOrientation(view: DataView, tiff: number, end: number): number | undefined {
  if (tiff + 8 > end) return undefined;
  const order = view.getUint16(tiff, false);
  const le = order === 0x4949; // 'II'
  if (!le && order !== 0x4d4d) return undefined; // 'MM'
  if (view.getUint16(tiff + 2, le) !== 42) return undefined;
  const ifd = tiff + view.getUint32(tiff + 4, le);
  if (ifd + 2 > end) return undefined;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return undefined;
    if (view.getUint16(e, le) === 0x0112) {
      const type = view.getUint16(e + 2, le);
      const value =
        type === 3 ? view.getUint16(e + 8, le) : type === 4 ? view.getUint32(e + 8, le) : 0;
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}
