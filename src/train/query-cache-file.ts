// The on-disk form of one test set's cached queries, so that a resumed run reuses them: a header line
// naming what made them, the float32 rows as computed (so they come back to the bit), and a SHA-256
// of everything before it, by which a cut or damaged file is told from a whole one.
//   l2p-query-cache 1\n {"key", "source", "rows", "d", "filled", "pad"} (spaces to a multiple of 4)\n
//   features [filled, d] float32 LE | padRows [pad, d] float32 LE | sha256 (32 bytes)
import { createHash } from 'node:crypto';
import type { Source } from '../data/types.ts';

const MAGIC = 'l2p-query-cache 1\n';
const DIGEST = 32;

export interface StoredQueries {
  /** The QueryCache key: backbone, weights, precision, preprocessing. */
  key: string;
  /** The test set's identity (sourceId). */
  source: string;
  rows: number;
  d: number;
  /** The first `filled` rows of [rows, d]. */
  features: Float32Array;
  filled: number;
  padRows?: Float32Array;
}

/**
 * What identifies a test set across processes: its description and length, and a SHA-256 of its
 * labels and, where it reads from files, of where each record lies.
 */
export function sourceId(source: Source): string {
  const h = createHash('sha256');
  const labels = Int32Array.from({ length: source.length }, (_, i) => source.label(i));
  h.update(new Uint8Array(labels.buffer));
  if (source.locate) {
    for (let i = 0; i < source.length; i++) {
      const r = source.locate(i);
      h.update(r.kind === 'file' ? `${r.path}\n` : `${r.file}@${r.offset}\n`);
    }
  }
  return JSON.stringify({ description: source.description, length: source.length, records: h.digest('hex') });
}

/** The file's name for `key` and `source`: a digest, so that neither needs escaping. */
export function queryFileName(key: string, source: string): string {
  return `${createHash('sha256').update(key).update('\n').update(source).digest('hex').slice(0, 32)}.q`;
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeQueries(q: StoredQueries): Uint8Array[] {
  const pad = q.padRows ? q.padRows.length / q.d : 0;
  let header = MAGIC + JSON.stringify({ key: q.key, source: q.source, rows: q.rows, d: q.d, filled: q.filled, pad });
  header += ' '.repeat((7 - (Buffer.byteLength(header) % 4)) % 4) + '\n'; // the rows start 4-byte aligned
  const parts = [new TextEncoder().encode(header), bytesOf(q.features.subarray(0, q.filled * q.d)).slice()];
  if (q.padRows) parts.push(bytesOf(q.padRows).slice());
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  parts.push(new Uint8Array(h.digest()));
  return parts;
}

/**
 * The queries a file holds, if it is whole and made under `key` for `source` with rows of `d`; a
 * string saying what is wrong with a damaged one; null for one made under another key.
 */
export function decodeQueries(bytes: Uint8Array, key: string, source: string, rows: number, d: number): StoredQueries | string | null {
  if (bytes.length < MAGIC.length + DIGEST) return `it is cut short (${bytes.length} bytes)`;
  const body = bytes.subarray(0, bytes.length - DIGEST);
  if (!Buffer.from(createHash('sha256').update(body).digest()).equals(bytes.subarray(body.length))) return 'its checksum does not match: the file is cut or damaged';
  const end = body.indexOf(10, MAGIC.length);
  const text = new TextDecoder().decode(body.subarray(0, end + 1));
  if (end < 0 || !text.startsWith(MAGIC)) return 'it is not an l2p query cache file';
  let h: { key: string; source: string; rows: number; d: number; filled: number; pad: number };
  try {
    h = JSON.parse(text.slice(MAGIC.length));
  } catch {
    return 'its header is not JSON';
  }
  if (h.key !== key || h.source !== source || h.rows !== rows || h.d !== d) return null;
  const start = end + 1;
  if (!(h.filled >= 0 && h.filled <= rows && h.pad >= 0) || body.length !== start + (h.filled + h.pad) * d * 4) return 'its size does not match its header';
  const values = new Float32Array((h.filled + h.pad) * d);
  new Uint8Array(values.buffer).set(body.subarray(start)); // a copy: the rows of a Buffer need not be 4-byte aligned
  const features = new Float32Array(rows * d);
  features.set(values.subarray(0, h.filled * d));
  const padRows = h.pad > 0 ? values.slice(h.filled * d) : undefined;
  return { key, source, rows, d, features, filled: h.filled, padRows };
}
