// Data parallelism over worker processes (src/train/parallel.ts) against the learner running the
// same micro-batches itself: the same trained tensors, bit for bit (the host sums the workers'
// gradients in the micro-batches' order), under both clip scopes and with each device's batch-wise
// prompt vote; through `l2p train --data-parallel`, the same results and checkpoint; a worker killed
// mid-run (in its step or in the frozen gradients' reduction) or a full shared memory (a worker's
// frozen gradients, the host's images) gives one error and the run resumes from its checkpoint to the same results.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { checkParallel, parseWorkerEnv, workerEnv } from '../../src/train/parallel.ts';
import type { Tensors } from '../../src/train/optim.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { stepConfig, trainSteps } from '../helpers/parallel-step.ts';
import { results, trainArgv, trainToEnd } from '../helpers/train-run.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

function assertSame(got: Tensors, want: Tensors, label: string): void {
  assert.deepEqual([...got.keys()], [...want.keys()], label);
  for (const [k, w] of want) assert.deepEqual(got.get(k), w, `${label}: ${k}`);
}

test('2 workers give the trained tensors of one process stepping num_devices=2 micro-batches, with each device voting on its prompts', async (t) => {
  t.after(disposeAll);
  const c = stepConfig();
  assert.ok(c.prompt_pool_param.batchwise_prompt, 'the smoke preset votes batch-wise');
  const here = await trainSteps(c, 3);
  const there = await trainSteps(c, 3, { workers: 2 });
  assertSame(there.trained, here.trained, 'trained');
  assert.deepEqual(there.log, here.log);
  // Each device votes on its own micro-batch: the two halves of a step chose differently.
  const ids = here.log[0].ids;
  assert.notDeepEqual(ids.slice(0, ids.length / 2), ids.slice(ids.length / 2), 'per-device votes');
});

test("grad_clip_scope 'all' (the frozen gradients averaged over devices, then normed): 2 workers as one process, with 2 and 4 micro-batches", async (t) => {
  t.after(disposeAll);
  for (const devices of [2, 4]) {
    const c = stepConfig({ grad_clip_scope: 'all', grad_clip_max_norm: 1 }, devices);
    const here = await trainSteps(c, 2);
    const there = await trainSteps(c, 2, { workers: 2 });
    assertSame(there.trained, here.trained, `${devices} micro-batches`);
    assert.deepEqual(there.log, here.log);
    assert.ok(here.log.every((l) => l.gradNorm > 1), 'the clip acts');
  }
});

test("two tasks of each method (L2P's diversified selection fed from the host's counts, DualPrompt, CODA-Prompt's task-1 Gram-Schmidt): 2 workers as one process", async (t) => {
  t.after(disposeAll);
  const l2p = stepConfig();
  const cases = [
    stepConfig({ prompt_pool_param: { ...l2p.prompt_pool_param, diversify: true } }),
    stepConfig({}, 2, 'cifar100_dualprompt_smoke'),
    stepConfig({}, 2, 'cifar100_coda_prompt_smoke'),
  ];
  for (const c of cases) {
    const here = await trainSteps(c, 2, { tasks: 2 });
    const there = await trainSteps(c, 2, { tasks: 2, workers: 2 });
    assertSame(there.trained, here.trained, c.method);
    assert.deepEqual(there.log, here.log, c.method);
  }
});

test('a worker whose provider cannot start reports the provider\'s error', async () => {
  const c = stepConfig();
  await assert.rejects(trainSteps(c, 1, { workers: 2, runtime: { device: 'cuda' } }), /^UserError: data-parallel worker \d: execution provider 'cuda' cannot start/);
});

test('worker environments: for all, for one rank, {rank}; bad specifications refused', () => {
  const vars = ['MESA_VK_DEVICE_SELECT=10de:{rank}', '1:VK_ICD_FILENAMES=/b.json', 'EMPTY='].map((s) => parseWorkerEnv(s, 2));
  const base = { PATH: '/bin', VK_ICD_FILENAMES: '/a.json' };
  assert.deepEqual(workerEnv(0, vars, base), { PATH: '/bin', VK_ICD_FILENAMES: '/a.json', MESA_VK_DEVICE_SELECT: '10de:0', EMPTY: '' });
  assert.deepEqual(workerEnv(1, vars, base), { PATH: '/bin', VK_ICD_FILENAMES: '/b.json', MESA_VK_DEVICE_SELECT: '10de:1', EMPTY: '' });
  assert.throws(() => parseWorkerEnv('NOVALUE', 2), /--worker-env 'NOVALUE': expected NAME=VALUE or RANK:NAME=VALUE/);
  assert.throws(() => parseWorkerEnv('2:X=1', 2), /rank 2 is not one of the 2 workers \(0 to 1\)/);
  assert.throws(() => checkParallel({ num_devices: 2, per_device_batch_size: 4 }, { workers: 3 }), /--data-parallel 3: a step has num_devices = 2 micro-batch\(es\) .* use at most 2 workers or --set num_devices=3/);
});

const dataDir = tempDir('dp-data');
before(() => writePresetData(dataDir));

/** The smoke run of the resume tests, with global batches of two micro-batches. */
const argvOf = (workdir: string) => [...trainArgv(workdir, { dataDir, epochs: 10 }), '--set', 'num_devices=2', '--set', 'eval_pad_last_batch=true'];

function lastCheckpoint(workdir: string): Map<string, unknown> {
  const dir = join(workdir, 'checkpoints');
  const last = readdirSync(dir).filter((f) => f.endsWith('.npz')).sort().pop()!;
  return new Map([...readNpz(join(dir, last))].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
}

test('l2p train --data-parallel 2: the results and last checkpoint of the run in one process; a worker killed mid-run: one error, and --resume finishes the same', () => {
  const ref = join(tempDir('dp-ref'), 'run');
  trainToEnd(argvOf(ref));
  const par = join(tempDir('dp-par'), 'run');
  trainToEnd([...argvOf(par), '--data-parallel', '2']);
  assert.deepEqual(results(par), results(ref));
  assert.deepEqual(lastCheckpoint(par), lastCheckpoint(ref));

  // Worker 1 kills itself after its 7th micro-batch (step 7 of 10: after the checkpoint of step 4).
  const killed = join(tempDir('dp-kill'), 'run');
  const argv = [...argvOf(killed), '--data-parallel', '2'];
  const r = spawnSync(process.execPath, [...argv, '--worker-env', '1:L2P_FAULT=worker-step:7'], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('l2p train:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], /^l2p train: data-parallel worker 1 \(pid \d+\) was killed by SIGKILL during a training step; the run is kept at task \d+, step \d+: continue with --resume --workdir .*run$/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  trainToEnd([...argv, '--resume']);
  assert.deepEqual(results(killed), results(ref));
});

test("l2p train --data-parallel 2 under grad_clip_scope 'all': a worker killed in the frozen gradients' reduction, then a full shared memory (ENOSPC) for a worker, then for the host's images: one line each naming the writer, and --resume finishes as the run in one process; the shared folder is emptied", () => {
  const ref = join(tempDir('dp-ref2'), 'run');
  trainToEnd(argvOf(ref));
  const shm = tempDir('dp-shm');
  const workdir = join(tempDir('dp-faults'), 'run');
  const argv = [...argvOf(workdir), '--data-parallel', '2', '--shm-dir', shm];
  // [the workers' variable, the message, the host's L2P_FAULT]: the host counts its micro-batches' image
  // writes as shm-write events, 2 per step, so its 3rd is step 2's micro-batch 0.
  const faults: [string, RegExp, string?][] = [
    ['1:L2P_FAULT=worker-reduce:6', /^l2p train: data-parallel worker 1 \(pid \d+\) was killed by SIGKILL during the frozen gradients' reduction; the run is kept at task \d+, step \d+: continue with --resume --workdir .*run$/],
    [
      '0:L2P_FAULT=shm-write:3:ENOSPC',
      /^l2p train: data-parallel worker 0: cannot write its frozen gradients \(\d+\.\d MB\) to .*micro-0\.f32: no space left \(ENOSPC\): free memory there, or give --shm-dir a folder with room for num_devices copies of the frozen gradients; the run is kept at task \d+, step \d+: continue with --resume --workdir .*run$/,
    ],
    [
      'L2P_FAULT=',
      /^l2p train: data-parallel host: cannot write micro-batch 0's images \(\d+\.\d MB\) to .*images-0\.f32: no space left \(ENOSPC\): free memory there, or give --shm-dir a folder with room for num_devices copies of the frozen gradients; the run is kept at task \d+, step \d+: continue with --resume --workdir .*run$/,
      'shm-write:3:ENOSPC',
    ],
  ];
  for (const [i, [env, want, host]] of faults.entries()) {
    const r = spawnSync(process.execPath, [...argv, ...(i > 0 ? ['--resume'] : []), '--worker-env', env], { encoding: 'utf8', env: { ...process.env, L2P_FAULT: host } });
    assert.equal(r.status, 1, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('l2p train:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0], want);
    assert.deepEqual(readdirSync(shm), [], 'the pool removed its folder');
  }
  trainToEnd([...argv, '--resume']);
  assert.deepEqual(results(workdir), results(ref));
  assert.deepEqual(readdirSync(shm), []);
});

test('l2p train refuses --data-parallel beyond num_devices and --worker-env without it, before writing anything', () => {
  const workdir = join(tempDir('dp-refuse'), 'run');
  const run = (...extra: string[]) => spawnSync(process.execPath, [...trainArgv(workdir, { dataDir }), ...extra], { encoding: 'utf8' });
  const over = run('--data-parallel', '2');
  assert.equal(over.status, 1);
  assert.match(over.stderr, /l2p train: --data-parallel 2: a step has num_devices = 1 micro-batch\(es\) of per_device_batch_size 4, so a worker would have none/);
  const env = run('--worker-env', 'X=1');
  assert.equal(env.status, 1);
  assert.match(env.stderr, /l2p train: --worker-env needs --data-parallel N/);
  const shm = run('--shm-dir', dataDir);
  assert.equal(shm.status, 1);
  assert.match(shm.stderr, /l2p train: --shm-dir needs --data-parallel N/);
  const notDir = run('--set', 'num_devices=2', '--data-parallel', '2', '--shm-dir', join(dataDir, 'nowhere'));
  assert.equal(notDir.status, 1);
  assert.match(notDir.stderr, /l2p train: --shm-dir '.*nowhere': not a folder/);
  assert.throws(() => readdirSync(workdir), /ENOENT/);
});
