// One writer per run directory. A process that writes a run (train, resume, demo, eval's result)
// holds `<workdir>/lock`, a file created exclusively that names it (pid, host, since when). A second
// writer is refused with one line naming the holder. A lock whose holder is gone (killed, or its pid
// now belongs to a later process) is stale, and the next writer takes it over. Readers (report,
// predict) take no lock: every file they read is replaced atomically.
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fsReason, UserError } from '../errors.ts';
import { runFiles } from './layout.ts';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601, when the holder took the lock. */
  since: string;
  /** Tells two locks of one pid apart. */
  token: string;
}

export interface RunLock {
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): void;
}

/** A file-system failure (any with an errno code) as one line naming the path; anything else as it is. */
function fsError(what: string, path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  // A UserError, or any error without an errno name, has no code matching this ('undefined' does not).
  if (!/^E[A-Z]+$/.test(String(code))) return e;
  return new UserError(`cannot ${what} '${path}': ${code === 'EEXIST' ? 'it exists and is not a directory' : fsReason(e)}`);
}

/**
 * Creates `dir` and its parents. A recursive mkdir says ENOENT where a parent is on a read-only file
 * system, so the first missing directory is then made alone, which fails with the true reason.
 */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    let first = resolve(dir);
    while (dirname(first) !== first && !existsSync(dirname(first))) first = dirname(first);
    try {
      mkdirSync(first);
      mkdirSync(dir, { recursive: true });
    } catch (again) {
      throw fsError('create the workdir', dir, again);
    }
    if (!existsSync(dir)) throw fsError('create the workdir', dir, e);
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.since === 'string' && typeof h.token === 'string') return h as LockHolder;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
  }
  // Locks appear whole (see lockRun), so one that does not parse was damaged: no writer owns it.
  return { pid: 0, host: hostname(), since: 'unknown', token: '' };
}

/** When the process `pid` started (ms since the epoch), from /proc on Linux; null where unknown. */
function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 of stat: start time in clock ticks after boot
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux ABI node runs on.
    return Number.isFinite(ticks) && Number.isFinite(boot) ? (boot + ticks / 100) * 1000 : null;
  } catch {
    return null;
  }
}

/** Whether the holder of a lock on this host is still the process that took it. */
function alive(h: LockHolder): boolean {
  if (h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid is in use: by the holder, unless that process started after the lock was taken.
  const started = processStart(h.pid);
  const since = Date.parse(h.since);
  return started === null || !Number.isFinite(since) || started <= since + 2000;
}

export function describeHolder(h: LockHolder): string {
  return `process ${h.pid} on ${h.host}, since ${h.since}`;
}

/**
 * Takes the writer's lock of `workdir`, creating the directory if needed. Throws a UserError naming
 * the holder when another live process has it, or when it is held from another host (whose
 * processes cannot be seen from here).
 */
export function lockRun(workdir: string): RunLock {
  makeDir(workdir);
  const file = runFiles(workdir).lock;
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  // The lock is written beside its place and hard-linked there: it appears whole or not at all, and
  // the link fails if a lock exists.
  const tmp = `${file}.${me.pid}.${me.token}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(me)}\n`, { flag: 'wx' });
  } catch (e) {
    // A write that failed part-way (a full disk) leaves the file it created.
    rmSync(tmp, { force: true });
    throw fsError('create the run lock', file, e);
  }
  try {
    // lstat, not exists: a dangling symbolic link is no lock, though existsSync says nothing is there.
    const kind = lstatSync(file, { throwIfNoEntry: false });
    if (kind && !kind.isFile()) throw new UserError(`'${file}' is ${kind.isDirectory() ? 'a directory' : 'not a regular file'}, not a run lock: remove it, or choose another --workdir`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
        return held(file, me);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError('create the run lock', file, e);
      }
      const h = readHolder(file);
      if (h === null) continue; // released between our two calls
      if (h.host !== me.host) {
        throw new UserError(`'${workdir}' is being written by ${describeHolder(h)}; if that process is gone, delete '${file}'`);
      }
      if (alive(h)) throw new UserError(`'${workdir}' is being written by ${describeHolder(h)}; wait for it to end, or stop it`);
      // Stale: removed only if it is still the lock judged here, since another writer may have taken
      // it over meanwhile (a window of one read and one unlink remains).
      if (readHolder(file)?.token === h.token) rmSync(file, { force: true });
    }
  } catch (e) {
    throw fsError('take the run lock', file, e);
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new UserError(`'${workdir}': could not take the run lock '${file}' (other processes keep taking it)`);
}

function held(file: string, me: LockHolder): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (existsSync(file) && readHolder(file)?.token === me.token) unlinkSync(file);
  };
  // An exit that skips the caller's `finally` (process.exit on a second Ctrl-C) still releases it.
  process.on('exit', release);
  return { holder: me, release };
}

/** Throws, naming the holder, when a live process is writing `workdir`; takes nothing. */
export function assertNoWriter(workdir: string): void {
  const file = runFiles(workdir).lock;
  const h = existsSync(file) ? readHolder(file) : null;
  if (h && (h.host !== hostname() || alive(h))) throw new UserError(`'${workdir}' is being written by ${describeHolder(h)}; wait for it to end, or stop it`);
}
