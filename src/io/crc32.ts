// CRC-32 (the zip/PNG polynomial). Node >= 20.15 has a native zlib.crc32; package.json allows
// Node 20.9, so older versions fall back to a table-driven implementation.

import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, previous?: number) => number;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Table(data: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

// Node 20's zlib.crc32 returns 0, not `previous`, for a view of an empty ArrayBuffer, so empty
// input is answered here.
const native: Crc32 | undefined =
  typeof zlib.crc32 === 'function' ? (d, p = 0) => (d.length === 0 ? p : zlib.crc32(d, p)) : undefined;

/** CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it). */
export const crc32: Crc32 = native ?? crc32Table;

/** The portable implementation, exported so tests can check it against the native one. */
export { crc32Table };
