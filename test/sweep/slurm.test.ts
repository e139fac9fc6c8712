// A sweep on a real Slurm: a single-node cluster on this machine (test/helpers/slurm-cluster.ts),
// a job array of smoke runs, one task requeued mid-run with `scontrol requeue`; every point must
// finish with the numbers of the same point run by the local launcher.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { L2P_BIN } from '../../src/sweep/local.ts';
import { readPlan, runDir } from '../../src/sweep/plan.ts';
import { readAttempts } from '../../src/sweep/attempts.ts';
import { sweepStatus } from '../../src/sweep/status.ts';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from '../helpers/slurm-cluster.ts';

const unavailable = slurmUnavailable();
let cluster: SlurmCluster | null = null;
const root = mkdtempSync(join(tmpdir(), 'l2p-sweep-slurm-'));

// npm test installs slurm-wlm and munge (scripts/test-deps.mjs): a machine that cannot start the cluster
// fails here with the reason rather than skipping the feature's test.
before(async () => {
  if (unavailable) throw new Error(`cannot start the test Slurm cluster: ${unavailable}`);
  cluster = await startSlurmCluster();
  // sweepStatus below asks squeue and sacct in this process.
  process.env.SLURM_CONF = cluster.conf;
});
after(() => {
  cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

// 150 steps per task: a few seconds per run, long enough to requeue a task in the middle of it.
const SWEEP = ['--config', 'split_mnist_l2p_smoke', '--set', 'continual.num_train_steps_per_task=150', '--seeds', '0,1,2'];

function l2p(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [L2P_BIN, ...args], { env, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** The numbers of a finished run, without its timings. */
function results(dir: string, id: string) {
  const s = JSON.parse(readFileSync(join(runDir(dir, id), 'summary.json'), 'utf8'));
  return { acc_matrix: s.acc_matrix, avg_acc: s.avg_acc, forgetting: s.forgetting, backward: s.backward, learning_acc: s.learning_acc, prompt_usage: s.prompt_usage, train_images: s.train_images };
}

test('a Slurm job array of smoke runs, one requeued mid-run, ends as the local launcher does', { timeout: 240_000 }, async () => {
  const c = cluster!;
  const dir = join(root, 'slurm');
  const sub = l2p(['sweep', ...SWEEP, '--workdir', dir, '--launcher', 'slurm', '--cpus-per-task', '1'], c.env);
  assert.equal(sub.status, 0, sub.out);
  const job = /submitted array job (\d+)/.exec(sub.out)?.[1];
  assert.ok(job, sub.out);
  const plan = readPlan(dir);
  assert.equal(plan.points.length, 3);
  const script = readFileSync(join(dir, 'sweep.sbatch'), 'utf8');
  assert.match(script, /#SBATCH --array=0-2%3/);
  assert.match(script, /#SBATCH --requeue/);

  const status = () => l2p(['sweep', 'status', dir], c.env);
  // Requeue task 0 once its first task is done (a checkpoint on disk) and its second is under way.
  const log0 = join(runDir(dir, plan.points[0].id), 'train.log');
  await until('task 0 of point 0 to finish', () => existsSync(log0) && readFileSync(log0, 'utf8').includes('task 0 done'), 120_000);
  const rq = spawnSync('scontrol', ['requeue', `${job}_0`], { env: c.env, encoding: 'utf8' });
  assert.equal(rq.status, 0, rq.stderr);
  // Slurm holds a requeued job back for about two minutes (its BeginTime); let it start now.
  const queued0 = () => spawnSync('squeue', ['-h', '--array', '-j', `${job}_0`, '-o', '%T|%r'], { env: c.env, encoding: 'utf8' }).stdout.trim();
  await until('point 0 to be pending again', () => queued0().startsWith('PENDING'), 60_000);
  assert.equal(sweepStatus(dir).points[0].state, 'pending');
  const up = spawnSync('scontrol', ['update', `jobid=${job}_0`, 'starttime=now'], { env: c.env, encoding: 'utf8' });
  assert.equal(up.status, 0, up.stderr);

  await until('every point to finish', () => sweepStatus(dir).points.every((p) => p.state === 'done'), 180_000);
  const attempts = readAttempts(runDir(dir, plan.points[0].id));
  assert.equal(attempts.length, 2, 'point 0 ran twice: before and after its requeue');
  assert.equal(attempts[0].rc, 143, 'the requeued run stopped on SIGTERM after its checkpoint');
  assert.match(readFileSync(log0, 'utf8'), /resuming at task 1, step \d+/);
  const final = status();
  // No accounting storage on the test cluster, and Slurm 22.05's `sacct --completion` lists no array task.
  assert.match(final.out, /note: sacct has no record of these array tasks/);
  assert.match(final.out, /3 points \(slurm\): 3 done/);

  // The same points through the local launcher: identical numbers.
  const local = join(root, 'local');
  const loc = l2p(['sweep', ...SWEEP, '--workdir', local, '--launcher', 'local', '--max-parallel', '2'], process.env);
  assert.equal(loc.status, 0, loc.out);
  assert.deepEqual(readPlan(local).points.map((p) => p.id), plan.points.map((p) => p.id), 'the same points get the same ids');
  for (const p of plan.points) assert.deepEqual(results(dir, p.id), results(local, p.id), `point ${p.id}`);

  // Nothing is left to resubmit, and the logs of the array landed in DIR/logs.
  const re = l2p(['sweep', 'resubmit', dir], c.env);
  assert.equal(re.status, 0, re.out);
  assert.match(re.out, /nothing to resubmit/);
  assert.ok(readdirSync(join(dir, 'logs')).some((f) => f.startsWith(`${job}_0`)));
});

test('status and resubmit on Slurm: a task cancelled before it started is missing, resubmit runs only it', { timeout: 240_000 }, async () => {
  const c = cluster!;
  const dir = join(root, 'cancel');
  const args = ['--config', 'split_mnist_l2p_smoke', '--seeds', '0,1', '--launcher', 'slurm', '--max-parallel', '1', '--workdir', dir];
  // %1: task 1 waits for task 0, so it is still pending when it is cancelled.
  const sub = l2p(['sweep', ...args], c.env);
  assert.equal(sub.status, 0, sub.out);
  const job = /submitted array job (\d+)/.exec(sub.out)![1];
  spawnSync('scancel', [`${job}_1`], { env: c.env });
  const plan = readPlan(dir);
  await until('point 0 to finish', () => existsSync(join(runDir(dir, plan.points[0].id), 'summary.json')), 120_000);
  await until('task 1 to leave the queue', () => sweepStatus(dir).points[1].state !== 'pending', 60_000);
  const st = l2p(['sweep', 'status', dir], c.env);
  assert.match(st.out, /1 done, 1 missing/, st.out);
  const re = l2p(['sweep', 'resubmit', dir], c.env);
  assert.equal(re.status, 0, re.out);
  assert.match(re.out, new RegExp(`resubmitting 1 point: ${plan.points[1].id}`));
  const job2 = /submitted array job (\d+)/.exec(re.out)![1];
  assert.match(readFileSync(join(dir, 'launches.jsonl'), 'utf8'), new RegExp(`"indices":\\[1\\],"jobId":"${job2}"`));
  await until('every point to finish', () => sweepStatus(dir).points.every((p) => p.state === 'done'), 120_000);
});
