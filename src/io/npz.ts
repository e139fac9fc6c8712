// numpy's .npz archives (np.savez / np.savez_compressed): a zip whose entries are .npy files named
// `<key>.npy`. Keys may contain '/', e.g. 'Transformer/encoder_norm/scale': they are entry names,
// never filesystem paths. Reading goes through ZipFile, which reads one entry at a time.

import * as fs from 'node:fs';
import { UserError, where } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';
import { NPY_PREFIX_BYTES, npyHeaderLength, npyParts, parseNpy, parseNpyHeader } from './npy.ts';
import type { NpyArray, NpyDtype } from './npy.ts';
import { ZipFile, fileError } from './zip-reader.ts';
import type { ZipEntry } from './zip-reader.ts';
import { zipChunks } from './zip-writer.ts';

export interface NpzEntryInfo {
  /** The key: the entry name without its '.npy'. */
  name: string;
  dtype: NpyDtype;
  shape: number[];
}

const SUFFIX = '.npy';

export class NpzReader {
  private readonly byKey: Map<string, ZipEntry>;

  private constructor(private readonly zip: ZipFile) {
    this.byKey = new Map();
    for (const entry of zip.entries) {
      // Some zip tools add entries for folders; they hold no array.
      if (entry.name.endsWith('/') && entry.size === 0) continue;
      if (!entry.name.endsWith(SUFFIX)) {
        zip.close();
        throw new UserError(`${where(zip.path)} is not a valid npz file: entry '${entry.name}' is not a .npy array`);
      }
      this.byKey.set(entry.name.slice(0, -SUFFIX.length), entry);
    }
  }

  /** Opens an archive and validates its directory; errors name the file. */
  static open(path: string): NpzReader {
    return new NpzReader(ZipFile.open(path));
  }

  get path(): string {
    return this.zip.path;
  }

  /** The keys (entry names without '.npy') in archive order. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** dtype and shape of one entry, read from its .npy header alone. */
  info(name: string): NpzEntryInfo {
    const entry = this.entry(name);
    const source = this.source(entry);
    const prefix = this.zip.readPrefix(entry, NPY_PREFIX_BYTES);
    const header = parseNpyHeader(this.zip.readPrefix(entry, npyHeaderLength(prefix, source)), source);
    return { name, dtype: header.dtype, shape: header.shape };
  }

  /** Reads one entry, verifying its CRC-32 and that its data matches its header. */
  read(name: string): NpyArray {
    const entry = this.entry(name);
    return parseNpy(this.zip.read(entry), this.source(entry));
  }

  close(): void {
    this.zip.close();
  }

  private entry(name: string): ZipEntry {
    const entry = this.byKey.get(name);
    if (entry === undefined) {
      const keys = this.keys();
      const shown = keys.slice(0, 5).map((k) => `'${k}'`).join(', ') + (keys.length > 5 ? ', ...' : '');
      throw new UserError(`${where(this.path)} has no entry '${name}' (it has ${keys.length}: ${shown})`);
    }
    return entry;
  }

  private source(entry: ZipEntry): string {
    return `${where(this.path)} entry '${entry.name}'`;
  }
}

/** Reads every array of an archive, in archive order. */
export function readNpz(path: string): Map<string, NpyArray> {
  const reader = NpzReader.open(path);
  try {
    return new Map(reader.keys().map((k) => [k, reader.read(k)]));
  } finally {
    reader.close();
  }
}

/**
 * Writes `arrays` as an .npz that np.load reads, atomically (see writeFileAtomic). Entries are
 * stored unless `compress` is set (then deflated, like np.savez_compressed); Zip64 records are
 * added only when the archive needs them.
 */
export function writeNpz(
  path: string,
  arrays: Record<string, NpyArray> | Map<string, NpyArray>,
  opts: { compress?: boolean } = {},
): void {
  const list = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  const entries = list.map(([key, arr]) => {
    if (key === '') throw new Error('writeNpz: an array key is empty');
    return { name: key + SUFFIX, parts: npyParts(arr) };
  });
  writeFileAtomic(path, zipChunks(entries, { compress: opts.compress ?? false }));
}

/** Writes one array as a .npy, atomically. */
export function writeNpy(path: string, arr: NpyArray): void {
  writeFileAtomic(path, npyParts(arr));
}

/** Reads a .npy file. */
export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  return parseNpy(bytes, where(path));
}
