// The array job script outside Slurm: bash runs it as slurmstepd would (SLURM_ARRAY_* set), with a
// stand-in `scontrol` that records its arguments, to check its signal handling on any machine:
// USR1 (the time-limit warning) → one SIGTERM to the run → checkpoint → the task requeues itself;
// SIGTERM to every process (requeue, cancel) → the run checkpoints, the shell passes nothing on.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { run as sweep } from '../../src/cli/sweep.ts';
import { readAttempts } from '../../src/sweep/attempts.ts';
import { readPlan, runDir } from '../../src/sweep/plan.ts';
import { arraySpec, parseAccounting, parseQueue, sbatchScript, shq } from '../../src/sweep/slurm.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-sbatch-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('array specs, quoting, squeue and sacct lines', () => {
  assert.equal(arraySpec([8, 0, 1, 2, 5, 7]), '0-2,5,7-8');
  assert.equal(arraySpec([3]), '3');
  assert.equal(spawnSync('bash', ['-c', `printf %s ${shq("it's $HOME \"x\"")}`], { encoding: 'utf8' }).stdout, `it's $HOME "x"`);
  assert.deepEqual(parseQueue('12_0|RUNNING\n12_3|PENDING\n13_[4-5%2]|PENDING\n'), [
    { job: '12_0', index: 0, state: 'RUNNING' },
    { job: '12_3', index: 3, state: 'PENDING' },
  ]);
  assert.deepEqual(parseAccounting('12_1|FAILED|1:0\n12_1.batch|FAILED|1:0\n12_2|CANCELLED by 0|0:15\n'), [
    { job: '12_1', index: 1, state: 'FAILED', exitCode: '1:0' },
    { job: '12_2', index: 2, state: 'CANCELLED', exitCode: '0:15' },
  ]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test('the script: directives, USR1 checkpoints and requeues, a group SIGTERM checkpoints once, a rerun resumes', { timeout: 240_000 }, async () => {
  const dir = join(root, 'sweep');
  const log = console.log;
  console.log = () => {};
  try {
    // Long enough to be signalled in the middle: up to 2000 steps per task.
    const args = ['--config', 'split_mnist_l2p_smoke', '--set', 'num_epochs=10', '--set', 'continual.num_train_steps_per_task=2000', '--seeds', '0'];
    assert.equal(await sweep([...args, '--workdir', dir, '--launcher', 'slurm', '--no-launch', '--partition', 'gpu', '--time', '2:00:00', '--gpus', '1', '--mem', '8G', '--cpus-per-task', '2', '--signal-seconds', '90']), 0);
  } finally {
    console.log = log;
  }
  const script = readFileSync(join(dir, 'sweep.sbatch'), 'utf8');
  for (const d of ['--array=0-0%1', '--requeue', '--partition=gpu', '--time=2:00:00', '--gres=gpu:1', '--mem=8G', '--cpus-per-task=2', '--signal=B:USR1@90', `--output=${join(dir, 'logs', '%A_%a.out')}`]) {
    assert.ok(script.includes(`#SBATCH ${d}\n`), d);
  }
  assert.equal(spawnSync('bash', ['-n', join(dir, 'sweep.sbatch')]).status, 0, 'bash parses the script');
  assert.equal(readPlan(dir).threads, 2, '--threads follows --cpus-per-task');
  assert.equal(script, sbatchScript(dir, readPlan(dir)));

  const bin = join(root, 'bin');
  mkdirSync(bin);
  const calls = join(root, 'scontrol-calls');
  writeFileSync(join(bin, 'scontrol'), `#!/bin/sh\necho "$@" >> ${shq(calls)}\n`);
  chmodSync(join(bin, 'scontrol'), 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_JOB_ID: '77', SLURM_JOB_ID: '78' };
  const rd = runDir(dir, readPlan(dir).points[0].id);
  const trainLog = join(rd, 'train.log');
  const task = () => spawn('bash', [join(dir, 'sweep.sbatch')], { env, detached: true, stdio: 'ignore' });
  const exit = (p: ReturnType<typeof spawn>) => new Promise<number | null>((r) => p.on('close', (code) => r(code)));
  // A task's first line is printed inside the training loop, after the run's signal handlers are set.
  const taskLines = () => (existsSync(trainLog) ? (readFileSync(trainLog, 'utf8').match(/^task \d+\/\d+:/gm) ?? []).length : 0);

  // 1. The time-limit warning: USR1 to the shell alone.
  const a = task();
  await until('the run to train', () => taskLines() >= 1);
  await sleep(1000);
  process.kill(a.pid!, 'SIGUSR1');
  assert.equal(await exit(a), 143);
  assert.equal(readFileSync(calls, 'utf8'), 'requeue 78\n', 'the task requeued itself');
  let text = readFileSync(trainLog, 'utf8');
  assert.equal((text.match(/SIGTERM: stopping after this step/g) ?? []).length, 1);
  assert.match(text, /stopped by SIGTERM [^\n]*; saved a checkpoint /);

  // 2. A requeue or cancellation: SIGTERM to every process of the task (its process group here).
  const b = task();
  const seen = taskLines();
  await until('the resumed run to train', () => taskLines() > seen);
  await sleep(1000);
  process.kill(-b.pid!, 'SIGTERM');
  assert.equal(await exit(b), 143, 'one SIGTERM: a checkpoint and 143, not 130 (a second signal quits at once)');
  assert.equal(readFileSync(calls, 'utf8'), 'requeue 78\n', 'a requeue by Slurm needs none from the script');
  assert.equal((readFileSync(trainLog, 'utf8').match(/stopped by SIGTERM [^\n]*; saved a checkpoint /g) ?? []).length, 2);

  // 3. The next start finishes the run.
  const c = task();
  assert.equal(await exit(c), 0);
  text = readFileSync(trainLog, 'utf8');
  assert.equal((text.match(/resuming at task/g) ?? []).length, 2);
  assert.ok(existsSync(join(rd, 'summary.json')));
  const attempts = readAttempts(rd);
  assert.deepEqual(attempts.map((x) => [x.launcher, x.job, x.rc]), [['slurm', '77_0', 143], ['slurm', '77_0', 143], ['slurm', '77_0', 0]]);
});
