// One writer per run directory: a second `l2p train` (or eval) beside a live one is refused with one
// line naming the holder; readers need no lock; a lock left by a killed process is taken over; a pid
// now used by a later process, or a damaged lock file, does not keep a run locked.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { runFiles } from '../../src/rundir/layout.ts';
import { lockRun } from '../../src/rundir/lock.ts';
import { readMetrics } from '../../src/rundir/records.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { trainArgv, trainToEnd } from '../helpers/train-run.ts';

const dataDir = tempDir('lock-data');
before(() => writePresetData(dataDir));

/** Resolves once process `pid` is stopped (state T in /proc), or rejects after `ms`. */
async function stopped(pid: number, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    if (/\) T /.test(stat)) return;
    if (!stat) throw new Error(`process ${pid} ended before it stopped`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${pid} did not stop within ${ms} ms`);
}

test('a second writer is refused while the first runs, readers are not, and a killed writer’s lock is taken over', async (t) => {
  const workdir = join(tempDir('lock-run'), 'run');
  const argv = trainArgv(workdir, { dataDir, epochs: 10 });
  // The first writer stops itself (SIGSTOP) after its 6th step, holding the lock, alive.
  const first = spawn(process.execPath, argv, { stdio: 'ignore', env: { ...process.env, L2P_FAULT: 'step:6:SIGSTOP' } });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => first.on('exit', (_c, s) => resolve(s)));
  // A stopped child keeps the test process waiting on it: when an assertion fails before the kill
  // below, the test still ends (and fails) instead of hanging.
  t.after(() => {
    if (first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
  });
  await stopped(first.pid!);

  const holder = JSON.parse(readFileSync(runFiles(workdir).lock, 'utf8'));
  assert.equal(holder.pid, first.pid);
  assert.equal(holder.host, hostname());
  const refusal = new RegExp(`^l2p (train|eval): '${workdir}' is being written by process ${first.pid} on ${hostname()}, since ${holder.since.replace(/[.]/g, '\\.')}; wait for it to end, or stop it$`);
  for (const args of [[...argv, '--resume'], ['eval', '--workdir', workdir]]) {
    const r = spawnSync(process.execPath, args[0] === 'eval' ? ['bin/l2p.mjs', ...args] : args, { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[lines.length - 1], refusal);
  }
  // A reader: the report of the unfinished run.
  const out = join(tempDir('lock-report'), 'report.html');
  const report = spawnSync(process.execPath, ['bin/l2p.mjs', 'report', workdir, '--out', out, '--no-png'], { encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  assert.ok(existsSync(out));

  first.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  trainToEnd([...argv, '--resume']);
  assert.ok(!existsSync(runFiles(workdir).lock), 'the lock is released at the end');
  // One writer at a time: every evaluation recorded once, in order.
  const steps = readMetrics(runFiles(workdir).metrics).map((r) => r.global_step);
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
  assert.equal(new Set(steps).size, steps.length);
  const ref = join(tempDir('lock-ref'), 'run');
  trainToEnd(trainArgv(ref, { dataDir, epochs: 10 }));
  assert.deepEqual(steps, readMetrics(runFiles(ref).metrics).map((r) => r.global_step));
});

function writeLock(workdir: string, holder: object | string): void {
  mkdirSync(workdir, { recursive: true });
  writeFileSync(runFiles(workdir).lock, typeof holder === 'string' ? holder : JSON.stringify(holder));
}

test('stale locks are taken over: a dead pid, a pid that a later process now uses, a damaged file', () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const cases: [string, object | string][] = [
    ['dead', { pid: dead, host: hostname(), since: new Date().toISOString(), token: 'a' }],
    // This process is alive, but it started long after this lock was taken.
    ['reused', { pid: process.pid, host: hostname(), since: '2001-01-01T00:00:00.000Z', token: 'b' }],
    ['damaged', '{"pid": 12'],
  ];
  for (const [tag, holder] of cases) {
    const workdir = join(tempDir(`lock-${tag}`), 'run');
    writeLock(workdir, holder);
    const lock = lockRun(workdir);
    assert.equal(JSON.parse(readFileSync(runFiles(workdir).lock, 'utf8')).token, lock.holder.token, tag);
    lock.release();
    assert.ok(!existsSync(runFiles(workdir).lock), tag);
  }
});

test('a live holder and a holder on another host are refused, naming them; release leaves another’s lock alone', () => {
  const workdir = join(tempDir('lock-live'), 'run');
  const lock = lockRun(workdir);
  assert.throws(() => lockRun(workdir), (e: unknown) => e instanceof UserError && e.message.includes(`being written by process ${process.pid} on ${hostname()}, since ${lock.holder.since}`));
  lock.release();

  const remote = join(tempDir('lock-remote'), 'run');
  writeLock(remote, { pid: 4242, host: 'node-17', since: '2026-11-28T01:00:00.000Z', token: 'c' });
  assert.throws(() => lockRun(remote), new UserError(`'${remote}' is being written by process 4242 on node-17, since 2026-11-28T01:00:00.000Z; if that process is gone, delete '${runFiles(remote).lock}'`));

  // A lock another process took over (after judging ours stale) is not ours to remove.
  const other = join(tempDir('lock-other'), 'run');
  const mine = lockRun(other);
  const theirs = JSON.stringify({ pid: 1, host: hostname(), since: new Date().toISOString(), token: 'theirs' });
  writeFileSync(runFiles(other).lock, theirs);
  mine.release();
  assert.equal(readFileSync(runFiles(other).lock, 'utf8'), theirs);
});
