// `l2p sweep` end to end with the local launcher, and its refusals: each bad input is one error,
// with nothing launched and nothing written or overwritten.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { run as sweep } from '../../src/cli/sweep.ts';
import { resolveConfig } from '../../src/config/overrides.ts';
import { UserError } from '../../src/errors.ts';
import { readAttempts } from '../../src/sweep/attempts.ts';
import { readPlan, runDir } from '../../src/sweep/plan.ts';
import { sweepStatus } from '../../src/sweep/status.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-sweep-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function quiet<T>(f: () => Promise<T>): Promise<{ value: T; out: string }> {
  const lines: string[] = [];
  const [log, err] = [console.log, console.error];
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  console.error = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    return { value: await f(), out: lines.join('\n') };
  } finally {
    [console.log, console.error] = [log, err];
  }
}

const BASE = ['--config', 'split_mnist_l2p_smoke'];

test('a local sweep: written without launching, every point missing; resubmit runs them all; status and report', { timeout: 180_000 }, async () => {
  const dir = join(root, 'local');
  const made = await quiet(() => sweep([...BASE, '--grid', 'prompt_pool_param.length=1,2', '--seeds', '0', '--workdir', dir, '--no-launch']));
  assert.equal(made.value, 0, made.out);
  const plan = readPlan(dir);
  assert.equal(plan.points.length, 2);
  for (const p of plan.points) {
    assert.deepEqual(JSON.parse(readFileSync(join(runDir(dir, p.id), 'config.json'), 'utf8')), JSON.parse(JSON.stringify(resolveConfig('split_mnist_l2p_smoke', p.sets))));
  }
  assert.deepEqual(sweepStatus(dir).points.map((p) => p.state), ['missing', 'missing']);

  const re = await quiet(() => sweep(['resubmit', dir, '--max-parallel', '2']));
  assert.equal(re.value, 0, re.out);
  assert.match(re.out, /2 of 2 points done/);
  const st = sweepStatus(dir);
  assert.deepEqual(st.points.map((p) => p.state), ['done', 'done']);
  for (const p of plan.points) {
    const a = readAttempts(runDir(dir, p.id));
    assert.equal(a.length, 1);
    assert.equal(a[0].rc, 0);
    assert.equal(a[0].launcher, 'local');
  }
  const again = await quiet(() => sweep(['resubmit', dir]));
  assert.match(again.out, /nothing to resubmit/);
  const rep = await quiet(() => sweep(['report', dir, '--no-png']));
  assert.equal(rep.value, 0, rep.out);
  const json = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  assert.deepEqual(json.groups.map((g: { config: unknown; n: number }) => [g.config, g.n]), [[{ 'prompt_pool_param.length': 1 }, 1], [{ 'prompt_pool_param.length': 2 }, 1]]);
  const s0 = JSON.parse(readFileSync(join(runDir(dir, plan.points[0].id), 'summary.json'), 'utf8'));
  assert.equal(json.groups[0].avg_acc.mean, s0.avg_acc);
  assert.equal(json.groups[0].avg_acc.std, null);

  // A run that fails is reported failed, with its exit status, and resubmit relaunches it alone.
  writeFileSync(join(runDir(dir, plan.points[1].id), 'config.json'), '{"broken": true}');
  rmSync(join(runDir(dir, plan.points[1].id), 'summary.json'));
  const failed = await quiet(() => sweep(['resubmit', dir]));
  assert.equal(failed.value, 1, failed.out);
  assert.match(failed.out, /resubmitting 1 point/);
  const p1 = sweepStatus(dir).points[1];
  assert.equal(p1.state, 'failed');
  assert.match(p1.detail, /exit 1; see .*train\.log/);
});

const refuses = async (args: string[], re: RegExp) => {
  await assert.rejects(quiet(() => sweep(args)), (e: unknown) => e instanceof UserError && re.test(e.message));
};

test('bad input: one error, nothing launched, nothing written', async () => {
  const dir = join(root, 'never');
  await refuses([...BASE, '--grid', 'prompt_pool_param.pool_sise=4,8', '--workdir', dir], /pool_sise/);
  await refuses([...BASE, '--workdir', dir], /the sweep is empty/);
  await refuses([...BASE, '--grid', 'prompt_pool_param.pool_size=', '--workdir', dir], /empty value list/);
  await refuses([...BASE, '--grid', 'prompt_pool_param.top_k=1,9', '--workdir', dir], /top_k=9: .*top_k/);
  await refuses([...BASE, '--grid', 'num_epochs=1', '--workdir', dir, '--launcher', 'pbs'], /--launcher must be local or slurm/);
  await refuses([...BASE, '--grid', 'num_epochs=1', '--workdir', dir, '--partition', 'gpu'], /--partition is a Slurm option/);
  await refuses([...BASE, '--grid', 'num_epochs=1', '--workdir', dir, '--class-order', 'icarl'], /--class-order must be one of/);
  await refuses(['status', join(root)], /not a sweep directory/);
  assert.equal(existsSync(dir), false);

  // No sbatch on the PATH.
  const path = process.env.PATH;
  const empty = mkdtempSync(join(root, 'path-'));
  process.env.PATH = empty;
  try {
    await refuses([...BASE, '--grid', 'num_epochs=1,2', '--workdir', dir, '--launcher', 'slurm'], /needs 'sbatch' on the PATH/);
    assert.equal(existsSync(dir), false);
    // An sbatch that refuses the job: the sweep directory it was given is taken back.
    writeFileSync(join(empty, 'sbatch'), '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "sbatch: error: invalid partition specified: gpu" >&2\nexit 1\n');
    chmodSync(join(empty, 'sbatch'), 0o755);
    await refuses([...BASE, '--grid', 'num_epochs=1,2', '--workdir', dir, '--launcher', 'slurm', '--partition', 'gpu'], /sbatch refused the sweep \(exit 1\): sbatch: error: invalid partition/);
    assert.equal(existsSync(dir), false);
  } finally {
    process.env.PATH = path;
  }

  // The CLI prints the one line and exits 1.
  const r = await quiet(() => main(['sweep', ...BASE, '--workdir', dir]));
  assert.equal(r.value, 1);
  assert.equal(r.out, 'l2p sweep: the sweep is empty: give at least one --grid key=v1,v2 or --seeds');
});

test('a directory of another sweep, of this sweep, or of anything else is refused and left as it was', async () => {
  const dir = join(root, 'taken');
  assert.equal((await quiet(() => sweep([...BASE, '--grid', 'num_epochs=1,2', '--workdir', dir, '--no-launch']))).value, 0);
  const before = readFileSync(join(dir, 'sweep-plan.json'), 'utf8');
  await refuses([...BASE, '--grid', 'num_epochs=1,3', '--workdir', dir, '--no-launch'], /holds another sweep \(2 points of split_mnist_l2p_smoke\)/);
  await refuses([...BASE, '--grid', 'num_epochs=1,2', '--workdir', dir, '--no-launch'], /already holds this sweep; .*l2p sweep resubmit/);
  await refuses([...BASE, '--set', 'learning_rate=0.1', '--grid', 'num_epochs=1,2', '--workdir', dir, '--no-launch'], /holds another sweep/);
  assert.equal(readFileSync(join(dir, 'sweep-plan.json'), 'utf8'), before);
  assert.equal(readdirSync(join(dir, 'runs')).length, 2);

  const other = join(root, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'config.json'), '{}');
  await refuses([...BASE, '--grid', 'num_epochs=1,2', '--workdir', other], /is not empty and holds no sweep \(config\.json\)/);
  assert.deepEqual(readdirSync(other), ['config.json']);
  // An empty directory is fine.
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assert.equal((await quiet(() => sweep([...BASE, '--grid', 'num_epochs=1,2', '--workdir', empty, '--no-launch']))).value, 0);
  assert.ok(existsSync(join(empty, 'sweep-plan.json')));
});

test('--slurm-options: the Slurm keys from a file, flags winning, unknown keys refused', async () => {
  const file = join(root, 'slurm.json');
  writeFileSync(file, JSON.stringify({ partition: 'gpu', mem: '4G', gpus: 2, time: '1-00:00:00', cpus_per_task: 4 }));
  const dir = join(root, 'slurm-options');
  assert.equal((await quiet(() => sweep([...BASE, '--seeds', '0,1', '--workdir', dir, '--launcher', 'slurm', '--no-launch', '--slurm-options', file, '--mem', '8G']))).value, 0);
  const script = readFileSync(join(dir, 'sweep.sbatch'), 'utf8');
  for (const d of ['--partition=gpu', '--mem=8G', '--gres=gpu:2', '--time=1-00:00:00', '--cpus-per-task=4', '--array=0-1%2', '--signal=B:USR1@120']) assert.ok(script.includes(`#SBATCH ${d}\n`), d);
  assert.match(script, / '--threads' '4' /);
  writeFileSync(file, JSON.stringify({ partition: 'gpu', qos: 'high' }));
  await refuses([...BASE, '--seeds', '0', '--workdir', join(root, 'slurm-bad'), '--launcher', 'slurm', '--no-launch', '--slurm-options', file], /unknown key 'qos'/);
  await refuses([...BASE, '--seeds', '0', '--workdir', join(root, 'slurm-bad'), '--launcher', 'slurm', '--no-launch', '--gpus', 'x'], /--gpus must be an integer >= 0/);
  assert.equal(existsSync(join(root, 'slurm-bad')), false);
});
