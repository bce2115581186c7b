/**
 * CRC-32 (IEEE 802.3, the zip checksum), slicing-by-8 table-driven.
 */

let tables: Int32Array[] | undefined;

function getTables(): Int32Array[] {
  if (tables !== undefined) return tables;
  const t: Int32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Int32Array(256));
  const t0 = t[0];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n];
    for (let k = 1; k < 8; k++) {
      c = t0[c & 0xff] ^ (c >>> 8);
      t[k][n] = c;
    }
  }
  tables = t;
  return t;
}

/**
 * Continues a CRC-32 over `data`. Start with `crc32(data)` (initial 0) and feed chunks:
 * `crc = crc32(next, crc)`. Returns the unsigned 32-bit checksum.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = getTables();
  let crc = ~previous;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const a = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[data[i + 4]] ^
      t2[data[i + 5]] ^
      t1[data[i + 6]] ^
      t0[data[i + 7]];
    i += 8;
  }
  while (i < n) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
