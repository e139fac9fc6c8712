// A run stopped at exact points (the fault hook of src/fault.ts: after a step, in an evaluation,
// after a metrics record, between a checkpoint's npz and its state, half-way through an atomic
// write) and resumed with --resume ends with the same accuracy matrix, prompt usage and metrics as
// an uninterrupted run; SIGTERM saves and stops; a workdir of another config is refused. The seeded
// random soak is resume-soak.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readEventDir } from '../../src/report/event-reader.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { results, runWithFault, trainArgv, trainToEnd } from '../helpers/train-run.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('resume-data');
before(() => writePresetData(dataDir));

test('a run killed at each kind of event, some twice over, resumes to the same results', () => {
  const epochs = 30;
  const ref = join(tempDir('resume-ref'), 'run');
  trainToEnd(trainArgv(ref, { dataDir, epochs }));
  const want = results(ref);

  const workdir = join(tempDir('resume-kill'), 'run');
  const argv = trainArgv(workdir, { dataDir, epochs });
  // In order: the fresh run's config.json write (before any checkpoint), its first metrics record
  // (before the first checkpoint), then points inside sessions that resume: the metrics.jsonl
  // rewrite of the resume itself, steps, evaluations, checkpoints cut in the middle.
  const faults = ['write:1', 'metrics:1', 'write:1', 'step:1', 'step:9', 'eval-batch:1', 'eval-batch:7', 'checkpoint:1', 'checkpoint:3', 'metrics:4', 'write:4', 'step:20', 'eval-batch:20'];
  for (const [i, fault] of faults.entries()) {
    const r = runWithFault(i === 0 ? argv : [...argv, '--resume'], fault);
    assert.equal(r.signal, 'SIGKILL', `L2P_FAULT=${fault} (session ${i}) stopped the run: status ${r.status}\n${r.stderr}`);
  }
  trainToEnd([...argv, '--resume']);
  assert.deepEqual(results(workdir), want);
});

test('SIGTERM stops after saving a checkpoint, and --resume finishes the run', () => {
  const ref = join(tempDir('resume-ref2'), 'run');
  trainToEnd(trainArgv(ref, { dataDir }));
  const workdir = join(tempDir('resume-term'), 'run');
  const argv = trainArgv(workdir, { dataDir });
  const r = runWithFault(argv, 'step:3:SIGTERM');
  assert.equal(r.status, 143, r.stderr);
  assert.match(r.stderr, /stopped by SIGTERM during training of task 0; saved a checkpoint at task 0, step 4 of 40 \(step 4 trained; its evaluation will run on --resume\); continue with --resume/);
  trainToEnd([...argv, '--resume']);
  assert.deepEqual(results(workdir), results(ref));
});

test('a second SIGTERM quits at once, with the event files whole and the lock released', async () => {
  const workdir = join(tempDir('resume-term2'), 'run');
  const argv = trainArgv(workdir, { dataDir });
  // Two SIGTERMs after step 3, both handled at the next turn of the event loop, inside step 4.
  const r = runWithFault(argv, 'step:3:SIGTERM,step:3:SIGTERM');
  assert.equal(r.status, 143, r.stderr);
  assert.match(r.stderr, /SIGTERM: stopping after this step/);
  assert.doesNotMatch(r.stderr, /stopped by SIGTERM/);
  assert.ok(!existsSync(join(workdir, 'lock')), 'the run lock is released');
  let events = 0;
  for await (const _ of readEventDir(workdir)) events++;
  assert.ok(events > 0);
});

test('--resume refuses a workdir of another configuration, and a fresh run refuses a used workdir', () => {
  const workdir = join(tempDir('resume-diff'), 'run');
  trainToEnd(trainArgv(workdir, { dataDir }));
  const again = spawnSync(process.execPath, trainArgv(workdir, { dataDir }), { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a run; pass --resume/);
  const other = spawnSync(process.execPath, [...trainArgv(workdir, { dataDir }), '--resume', '--set', 'learning_rate=0.5'], { encoding: 'utf8' });
  assert.equal(other.status, 1);
  assert.match(other.stderr, /holds a run with another configuration \(differs in learning_rate\)/);
});

test('two runs with the same seed give identical metrics, with no data worker and with two', () => {
  const a = join(tempDir('det-a'), 'run');
  const b = join(tempDir('det-b'), 'run');
  trainToEnd(trainArgv(a, { dataDir, epochs: 3, workers: 0 }));
  trainToEnd(trainArgv(b, { dataDir, epochs: 3, workers: 2 }));
  assert.deepEqual(results(b), results(a));
});
