// npz archives held in memory, for the page: the end-of-central-directory record, the central
// directory, each entry's local header; stored entries are views, deflated ones go through the
// browser's DecompressionStream. Every offset is checked against the archive's length.
import { UserError } from '../../errors.ts';
import { parseNpy, type NpyArray } from '../../io/npy.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Every array of an npz archive by name (without '.npy'); `name` labels errors. */
export async function parseNpz(bytes: Uint8Array, name: string): Promise<Map<string, NpyArray>> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new UserError(`'${name}' is not a readable npz archive: ${why}`);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end of central directory record (not a zip file)');
  const count = v.getUint16(eocd + 10, true);
  let at = v.getUint32(eocd + 16, true);
  const out = new Map<string, NpyArray>();
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || v.getUint32(at, true) !== SIG_CENTRAL) throw bad(`central directory entry ${k} is damaged`);
    const method = v.getUint16(at + 10, true);
    const csize = v.getUint32(at + 20, true);
    const nameLen = v.getUint16(at + 28, true);
    const extraLen = v.getUint16(at + 30, true);
    const commentLen = v.getUint16(at + 32, true);
    const local = v.getUint32(at + 42, true);
    const entry = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > bytes.length || v.getUint32(local, true) !== SIG_LOCAL) throw bad(`entry '${entry}' has no local header`);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (start + csize > bytes.length) throw bad(`entry '${entry}' runs past the end of the archive`);
    const raw = bytes.subarray(start, start + csize);
    if (method !== 0 && method !== 8) throw bad(`entry '${entry}' uses compression method ${method}`);
    const data = method === 0 ? raw : await inflateRaw(raw);
    out.set(entry.replace(/\.npy$/, ''), parseNpy(data, `'${name}' entry '${entry}'`));
  }
  return out;
}
