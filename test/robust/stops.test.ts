// A stop signal at any point of a run: SIGINT or SIGTERM at every kind of fault-hook event (after a
// training step, in an evaluation, after a metrics record, between a checkpoint's npz and its
// state, half-way through an atomic write, in a data-parallel worker), each at the points where a
// task's work could be lost (a task's last step and its evaluation, the run's last). The stopped run
// must say what it saved, and say it truly (the checkpoint holds it); --resume must end with the
// uninterrupted run's summary and metrics, and no training step may run twice: the steps of the
// stopped session and of the resumed one, counted by the fault hook itself, add up to the
// uninterrupted run's. The smallest smoke run (2 tasks × 4 steps, an evaluation every 2 steps),
// one reference, children one after another.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';
import { results } from '../helpers/train-run.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('stops-data');
const refDir = join(tempDir('stops-ref'), 'run');
let refSteps = 0;
before(async () => {
  await writePresetData(dataDir);
  const ref = session(argv(refDir));
  assert.equal(ref.status, 0, ref.stderr);
  refSteps = ref.counts.step;
});

function argv(workdir: string, extra: string[] = []): string[] {
  return [
    'bin/l2p.mjs', 'train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--workers', '0', '--threads', '1', '--set', `data_dir=${dataDir}`,
    '--set', 'num_epochs=2', '--set', 'eval_every_steps=2', '--set', 'continual.num_train_steps_per_task=-1', ...extra,
  ];
}

/** One process, with L2P_FAULT=`fault` (none when empty); `counts` is how often each fault event occurred in it. */
function session(args: string[], fault = '') {
  const countsFile = join(tempDir('stops-counts'), 'counts.json');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, L2P_FAULT: fault, L2P_FAULT_COUNTS: countsFile } });
  const counts = existsSync(countsFile) ? (JSON.parse(readFileSync(countsFile, 'utf8')) as Record<string, number>) : {};
  return { status: r.status, signal: r.signal, stderr: r.stderr, counts: { step: counts.step ?? 0 } };
}

/** The checkpoint's position, as the stop message must describe it. */
function saved(workdir: string) {
  const loop = JSON.parse(readFileSync(join(workdir, 'checkpoints', 'state.json'), 'utf8')).loop;
  return { task: loop.task as number, step: loop.stepInTask as number, evalPending: loop.evalPending === true, done: loop.done as boolean };
}

function leftovers(workdir: string): string[] {
  const dirs = [workdir, join(workdir, 'checkpoints')].filter(existsSync);
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.tmp') || f === 'lock'));
}

/** Stops a fresh run with `fault`, checks what it says against what it saved, resumes it, and compares. */
function stopAndResume(fault: string, extra: string[] = []): void {
  const workdir = join(tempDir('stops'), 'run');
  const signal = /SIG[A-Z]+/.exec(fault)![0];
  const stopped = session(argv(workdir, extra), fault);
  const lastLine = stopped.stderr.trim().split('\n').pop()!;
  const m = /^stopped by (SIG[A-Z]+) (?:during|while) [^;]+; saved a checkpoint (?:at task (\d+), step (\d+) of 4( \(training of task \d+ finished; its evaluation will run on --resume\)| \(step \d+ trained; its evaluation will run on --resume\))?|at the end of task (\d+) \(task (\d+) starts on --resume\)); continue with --resume --workdir /.exec(lastLine);
  if (stopped.status === 0) {
    // The signal came as the run finished (nothing was left to stop), or to a worker, which leaves Ctrl-C to the host.
    assert.ok(saved(workdir).done, `${fault}: exit 0 before the run finished`);
  } else if (m) {
    assert.equal(stopped.status, signal === 'SIGINT' ? 130 : 143, `${fault}: ${stopped.stderr}`);
    assert.equal(m[1], signal);
    const s = saved(workdir);
    if (m[5] !== undefined) assert.deepEqual(s, { task: Number(m[6]), step: 0, evalPending: false, done: false }, `${fault}: ${lastLine}`);
    else assert.deepEqual(s, { task: Number(m[2]), step: Number(m[3]), evalPending: m[4] !== undefined, done: false }, `${fault}: ${lastLine}`);
  } else {
    // A data-parallel worker stopped alone: the host keeps the steps before the one it was in.
    assert.equal(stopped.status, 1, `${fault}: ${stopped.stderr}`);
    const w = /^l2p train: data-parallel worker 0 \(pid \d+\) exited with status 0 during a training step; the run is kept at task (\d+), step (\d+): continue with --resume/.exec(lastLine);
    assert.ok(w, `${fault}: unexpected last line: ${lastLine}`);
    assert.deepEqual(saved(workdir), { task: Number(w[1]), step: Number(w[2]), evalPending: false, done: false });
  }
  assert.deepEqual(leftovers(workdir), [], `${fault}: temporary files or the lock left behind`);
  const resumed = session([...argv(workdir, extra), '--resume']);
  assert.equal(resumed.status, 0, `${fault} then --resume: ${resumed.stderr}`);
  assert.equal(stopped.counts.step + resumed.counts.step, refSteps, `${fault}: steps trained twice (${stopped.counts.step} stopped + ${resumed.counts.step} resumed, against ${refSteps})`);
  assert.deepEqual(results(workdir), results(refDir), `${fault}: the resumed run differs from the uninterrupted one`);
}

// Occurrences in the reference run: step 1..8 (evaluations after steps 2, 4, 6, 8; 4 and 8 end a
// task), eval-batch 1..6 (one batch after steps 2 and 4, two after 6 and 8), metrics 1..4,
// checkpoint 1..4, write 1..10 (config.json, each checkpoint's npz and state.json, summary.json).
const WALK = [
  'step:1:SIGINT', 'step:2:SIGTERM', 'step:4:SIGTERM', 'step:7:SIGINT', 'step:8:SIGINT',
  'eval-batch:2:SIGTERM', 'eval-batch:3:SIGINT', 'eval-batch:5:SIGTERM', 'eval-batch:6:SIGINT',
  'metrics:2:SIGINT', 'metrics:3:SIGTERM',
  'checkpoint:2:SIGTERM', 'checkpoint:4:SIGINT',
  'write:1:SIGINT', 'write:5:SIGTERM', 'write:10:SIGTERM',
];

test('a stop signal at every kind of event saves what it says, and --resume ends as the uninterrupted run without training a step twice', () => {
  for (const fault of WALK) stopAndResume(fault);
});

test('a data-parallel worker stopped alone: SIGINT is left to the host, SIGTERM keeps every step before its own; a worker lost in a step the host was told to stop after: a stop', () => {
  for (const fault of ['worker-step:3:SIGTERM', 'worker-step:2:SIGINT', 'step:1:SIGTERM,worker-step:2:SIGKILL']) stopAndResume(fault, ['--data-parallel', '1']);
});
