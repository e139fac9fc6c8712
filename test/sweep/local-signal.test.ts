// Ctrl-C on a local sweep: no new runs, one SIGTERM to each running point, which checkpoints and
// stops; status says failed (exit 143) or missing; resubmit finishes them from their checkpoints.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { L2P_BIN } from '../../src/sweep/local.ts';
import { readAttempts } from '../../src/sweep/attempts.ts';
import { runDir } from '../../src/sweep/plan.ts';
import { sweepStatus } from '../../src/sweep/status.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-sweep-sigint-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGINT to a local sweep stops it cleanly; resubmit resumes the stopped point', { timeout: 240_000 }, async () => {
  const dir = join(root, 'sweep');
  const args = ['sweep', '--config', 'split_mnist_l2p_smoke', '--set', 'num_epochs=10', '--set', 'continual.num_train_steps_per_task=600', '--seeds', '0,1', '--max-parallel', '1', '--workdir', dir];
  const child = spawn(process.execPath, [L2P_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const log = () => join(runDir(dir, 'seed-0-a604a0da'), 'train.log');
  const end = Date.now() + 120_000;
  while (!(existsSync(log()) && /^task 1\/2:/m.test(readFileSync(log(), 'utf8')))) {
    assert.ok(Date.now() < end, `the first point did not start training:\n${out}`);
    await sleep(200);
  }
  await sleep(1000);
  child.kill('SIGINT');
  assert.equal(await closed, 1, out);
  assert.match(out, /SIGINT: no new runs; asking 1 running point\(s\) to checkpoint and stop/);
  assert.match(out, /0 of 2 points done, 1 failed, 1 not started/);
  const st = sweepStatus(dir);
  assert.deepEqual(st.points.map((p) => p.state), ['failed', 'missing']);
  assert.match(st.points[0].detail, /^exit 143/);
  assert.match(readFileSync(log(), 'utf8'), /stopped by SIGTERM [^\n]*; saved a checkpoint /);

  const re = spawn(process.execPath, [L2P_BIN, 'sweep', 'resubmit', dir], { stdio: 'ignore' });
  assert.equal(await new Promise((r) => re.on('close', r)), 0);
  assert.deepEqual(sweepStatus(dir).points.map((p) => p.state), ['done', 'done']);
  assert.match(readFileSync(log(), 'utf8'), /resuming at task 0, step \d+/);
  assert.deepEqual(readAttempts(runDir(dir, 'seed-0-a604a0da')).map((a) => a.rc), [143, 0]);
});
