// The run lock where the file system says no: a workdir on a read-only file system, a lock path
// that is a directory, a disk that fills up while the lock is written. Each is one line naming the
// path and the reason, exit status 1, and nothing left behind (no lock, no temporary file). The
// read-only and full file systems are real tmpfs mounts in a private mount namespace (unshare -rm).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';

const L2P = join(process.cwd(), 'bin/l2p.mjs');

/** Runs `script` (sh) as root of a private user and mount namespace; null where the system allows none. */
function inNamespace(script: string): { status: number | null; stdout: string; stderr: string } | null {
  const probe = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs tmpfs '${tempDir('ns-probe')}'`], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, NODE: process.execPath, L2P } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The error line, after the one line `l2p demo` prints first (the workdir it uses). */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 2, `expected the workdir line and one error line, got:\n${stderr}`);
  assert.match(lines[0], /^workdir: /);
  return lines[1];
}

test('a workdir on a read-only file system: one line naming it, for a new workdir and an existing one', (t) => {
  const mnt = tempDir('lock-ro');
  const r = inNamespace(`set -e
mount -t tmpfs tmpfs '${mnt}'; mkdir '${mnt}/old'; mount -o remount,ro '${mnt}'
"$NODE" "$L2P" demo --workdir '${mnt}/new/run' >/dev/null 2>'${mnt}.new' || echo "new $?"
"$NODE" "$L2P" demo --workdir '${mnt}/old' >/dev/null 2>'${mnt}.old' || echo "old $?"
echo; tail -n 1 '${mnt}.new' '${mnt}.old' | grep '^l2p'; ls -A '${mnt}'`);
  if (!r) return t.skip('no private mount namespace here (unshare -rm)');
  const [codes, rest] = r.stdout.split('\n\n');
  assert.equal(codes.trim(), 'new 1\nold 1', r.stdout + r.stderr);
  const [newErr, oldErr, listing] = rest.split('\n');
  assert.equal(newErr, `l2p demo: cannot create the workdir '${mnt}/new/run': the file system is read-only`);
  assert.equal(oldErr, `l2p demo: cannot create the run lock '${mnt}/old/lock': the file system is read-only`);
  assert.equal(listing, 'old');
});

test('a lock path that is a directory is refused, naming it, and left as it is', () => {
  const workdir = tempDir('lock-dir');
  mkdirSync(join(workdir, 'lock'));
  const r = spawnSync(process.execPath, [L2P, 'demo', '--workdir', workdir], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(oneLine(r.stderr), `l2p demo: '${workdir}/lock' is a directory, not a run lock: remove it, or choose another --workdir`);
  assert.deepEqual(readdirSync(workdir), ['lock']);
  assert.deepEqual(readdirSync(join(workdir, 'lock')), []);
});

test('a disk that fills while the lock is written: one line, and no temporary lock file left', (t) => {
  const mnt = tempDir('lock-full');
  // Only the workdir fits: the lock's temporary file is created and its write fails.
  const r = inNamespace(`set -e
mount -t tmpfs -o size=4k tmpfs '${mnt}'; mkdir '${mnt}/run'
head -c 1048576 /dev/zero > '${mnt}/fill' 2>/dev/null || true
"$NODE" "$L2P" demo --workdir '${mnt}/run' >/dev/null 2>'${mnt}.err' || echo "status $?"
tail -n +2 '${mnt}.err'; ls -A '${mnt}/run' | sed 's/^/left: /'`);
  if (!r) return t.skip('no private mount namespace here (unshare -rm)');
  assert.equal(r.stdout, `status 1\nl2p demo: cannot create the run lock '${mnt}/run/lock': the disk is full\n`, r.stderr);
});
