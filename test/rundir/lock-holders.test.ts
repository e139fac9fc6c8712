// The run lock in process, on known holders: which lock files count as a live writer (refused) and
// which are stale (taken over), the workdir and lock paths the lock refuses, what a lock leaves
// behind, and assertNoWriter's judgement of the same holders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { runFiles } from '../../src/rundir/layout.ts';
import { assertNoWriter, lockRun } from '../../src/rundir/lock.ts';
import { tempDir } from '../fixtures/data/write.ts';

/** This process's start (ms since the epoch) from its uptime, independently of /proc. */
const started = Date.now() - process.uptime() * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const live = { pid: process.pid, host: hostname(), since: iso(Date.now()), token: 'live' };

function writeLockFile(workdir: string, holder: object | string): void {
  mkdirSync(workdir, { recursive: true });
  writeFileSync(runFiles(workdir).lock, typeof holder === 'string' ? holder : JSON.stringify(holder));
}

function workdirWith(holder: object | string): string {
  const workdir = join(tempDir('holder'), 'run');
  writeLockFile(workdir, holder);
  return workdir;
}

const refusedLive = (workdir: string, h: { pid: number; since: string }) =>
  new UserError(`'${workdir}' is being written by process ${h.pid} on ${hostname()}, since ${h.since}; wait for it to end, or stop it`);

/** Takes the lock over, checks it is ours, releases it. */
function takesOver(workdir: string, what: string): void {
  const lock = lockRun(workdir);
  assert.equal(JSON.parse(readFileSync(runFiles(workdir).lock, 'utf8')).token, lock.holder.token, what);
  lock.release();
  assert.deepEqual(readdirSync(workdir), [], what);
}

test('a lock: its file names this process, nothing else is left beside it, and release removes it and its exit handler', () => {
  const workdir = join(tempDir('holder-new'), 'a', 'b', 'run');
  const before = Date.now();
  const handlers = process.listenerCount('exit');
  const lock = lockRun(workdir);
  assert.equal(process.listenerCount('exit'), handlers + 1);
  assert.deepEqual(readdirSync(workdir), ['lock']);
  const text = readFileSync(runFiles(workdir).lock, 'utf8');
  assert.ok(text.endsWith('}\n'));
  assert.deepEqual(JSON.parse(text), lock.holder);
  assert.equal(lock.holder.pid, process.pid);
  assert.equal(lock.holder.host, hostname());
  assert.match(lock.holder.token, /^[0-9a-f]{16}$/);
  const since = Date.parse(lock.holder.since);
  assert.ok(since >= before && since <= Date.now(), lock.holder.since);
  lock.release();
  assert.equal(process.listenerCount('exit'), handlers);
  assert.deepEqual(readdirSync(workdir), []);
  lock.release();
  assert.notEqual(lockRun(workdir).holder.token, lock.holder.token, 'two locks of one process are told apart');
});

test('a live holder on this host is refused, also when its time cannot be read or lies within 2 s before the process started', () => {
  for (const h of [live, { ...live, since: 'unknown' }, { ...live, since: iso(started - 1000) }]) {
    const workdir = workdirWith(h);
    assert.throws(() => lockRun(workdir), refusedLive(workdir, h), h.since);
    assert.throws(() => assertNoWriter(workdir), refusedLive(workdir, h), h.since);
    assert.equal(JSON.parse(readFileSync(runFiles(workdir).lock, 'utf8')).token, 'live', 'the refused lock is left as it is');
    assert.deepEqual(readdirSync(workdir), ['lock'], 'no temporary file is left');
  }
});

test('stale holders are taken over: a pid started over 2 s after the lock, a dead pid, pid 0, a holder missing a field', () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale: [string, object | string][] = [
    ['pid reused', { ...live, since: iso(started - 4000) }],
    ['dead pid', { ...live, pid: dead }],
    ['pid 0', { ...live, pid: 0 }],
    ['pid not an integer', { ...live, pid: `${process.pid}` }],
    ['no host', { ...live, host: undefined }],
    ['since not a string', { ...live, since: Date.now() }],
    ['no token', { ...live, token: undefined }],
    ['not JSON', 'pid 12'],
  ];
  for (const [what, h] of stale) {
    const workdir = workdirWith(h);
    assertNoWriter(workdir);
    takesOver(workdir, what);
  }
});

test('a live holder that this user may not signal (EPERM, not ESRCH) is refused', () => {
  // pid 1 belongs to root; the child runs as nobody, so kill(1, 0) is refused with EPERM.
  const dir = tempDir('holder-eperm');
  const workdir = join(dir, 'run');
  const h = { ...live, pid: 1 };
  writeLockFile(workdir, h);
  for (const d of [dir, workdir]) chmodSync(d, 0o777);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=l2p-ts-source', 'test/rundir/lock-other-user.ts', workdir], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), refusedLive(workdir, h).message, r.stderr);
});

test('a stale lock that this user may not remove is one line naming it, and is left as it is', (t) => {
  // In a sticky directory (as /tmp) only a file's owner removes it: root's stale lock stays for nobody.
  if (process.getuid?.() !== 0) return t.skip('needs root, to run the child as a user other than the lock file\'s owner');
  const workdir = tempDir('holder-sticky');
  chmodSync(workdir, 0o1777);
  const stale = JSON.stringify({ ...live, pid: spawnSync(process.execPath, ['-e', '0']).pid! });
  writeLockFile(workdir, stale);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=l2p-ts-source', 'test/rundir/lock-other-user.ts', workdir], { encoding: 'utf8' });
  assert.match(r.stdout, new RegExp(`^cannot take the run lock '${runFiles(workdir).lock}': [^\\n]+\\n$`), r.stderr);
  assert.equal(readFileSync(runFiles(workdir).lock, 'utf8'), stale);
  assert.deepEqual(readdirSync(workdir), ['lock']);
});

test('assertNoWriter: no lock is no writer; a holder on another host is one', () => {
  assertNoWriter(join(tempDir('holder-none'), 'run'));
  // A pid that is dead here: only the host tells that it may be alive there.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const h = { ...live, pid: dead, host: `not-${hostname()}` };
  const workdir = workdirWith(h);
  assert.throws(() => assertNoWriter(workdir), new UserError(`'${workdir}' is being written by process ${dead} on not-${hostname()}, since ${h.since}; wait for it to end, or stop it`));
});

test('a workdir that is a file, and a lock that is a symbolic link, are refused naming them', () => {
  const file = join(tempDir('holder-file'), 'run');
  writeFileSync(file, 'x');
  assert.throws(() => lockRun(file), new UserError(`cannot create the workdir '${file}': it exists and is not a directory`));
  // A link to a file, and a dangling one (which existsSync reports as absent).
  for (const target of ['held', 'nowhere']) {
    const workdir = join(tempDir('holder-link'), 'run');
    mkdirSync(workdir);
    writeFileSync(join(workdir, 'held'), JSON.stringify({ ...live, pid: 0 }));
    symlinkSync(join(workdir, target), runFiles(workdir).lock);
    const lockFile = runFiles(workdir).lock;
    assert.throws(() => lockRun(workdir), new UserError(`'${lockFile}' is not a regular file, not a run lock: remove it, or choose another --workdir`), target);
    assert.deepEqual(readdirSync(workdir).sort(), ['held', 'lock'], target);
  }
});
