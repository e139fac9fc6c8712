// Atomic file replacement: readers of `path` see the old file or the complete new one, never a
// partial write, even if the process dies or the machine loses power mid-way.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError, where } from '../errors.ts';
import { faultPoint } from '../fault.ts';

/**
 * Writes `data` to a uniquely named temporary file beside `path`, fsyncs it, renames it over
 * `path` and fsyncs the directory so the rename itself is durable. On failure the temporary file
 * is removed and `path` is left as it was. An iterable is written chunk by chunk, so large
 * outputs (an npz of a whole model) need not be assembled in memory first. The new file gets the
 * default mode (0666 less the umask), not the mode of the file it replaces.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | Iterable<Uint8Array>): void {
  const dir = dirname(resolve(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  let created = false;
  try {
    fd = fs.openSync(tmp, 'wx');
    created = true;
    const chunks = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) writeAll(fd, chunk);
    faultPoint('write');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    // Only a created file is removed: rmSync would fail on a parent that is not a directory.
    if (created) fs.rmSync(tmp, { force: true });
    throw writeError(path, e);
  }
  syncDirectory(dir);
}

/** Writes `value` as indented JSON with a final newline, atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new Error(`writeJsonAtomic: ${typeof value} cannot be written as JSON`);
  writeFileAtomic(path, text + '\n');
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done, chunk.length - done);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the file itself is already
    // complete and renamed, so only the durability of the rename across a power loss is weaker.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Turns the file-system errors a user can cause into one sentence naming the target. */
function writeError(path: string, e: unknown): unknown {
  const reasons: Record<string, string> = {
    ENOENT: 'its directory does not exist',
    ENOTDIR: 'a parent of it is not a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is exceeded',
    EISDIR: 'it is a directory',
  };
  const reason = reasons[(e as NodeJS.ErrnoException).code ?? ''];
  return reason === undefined ? e : new UserError(`cannot write ${where(path)}: ${reason}`);
}
