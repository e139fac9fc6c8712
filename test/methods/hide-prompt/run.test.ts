// HiDe-Prompt through `l2p train` (cifar100_hideprompt_smoke: two tasks, each 'tii' steps, the
// 'tii_stats' pass and fit, 'prompt' steps, the 'prompt_stats' pass and fit): a run stopped in each
// kind of phase, one stop per session, resumed each time, ends with the uninterrupted run's results.
// A fault's signal is seen at the next check: a stop asked at step n lands after step n + 1, one
// asked at a pass's batch n when the batch after it is done (or, at its last, before the fit).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../../fixtures/data/write.ts';
import { results, runWithFault, trainToEnd } from '../../helpers/train-run.ts';
import { writePresetData } from '../../helpers/tfds-fixtures.ts';

const dataDir = tempDir('hide-data');
before(() => writePresetData(dataDir));

const argv = (workdir: string) => ['bin/l2p.mjs', 'train', '--config', 'cifar100_hideprompt_smoke', '--workdir', workdir, '--workers', '0', '--threads', '1', '--set', `data_dir=${dataDir}`, '--set', 'num_epochs=3', '--set', 'tii_epochs=3', '--set', 'continual.num_train_steps_per_task=-1'];

test('l2p train: stops in a TII step, the TII pass, a prompt step and a later prompt pass resume to the same results', () => {
  const ref = join(tempDir('hide-ref'), 'run');
  const counts = join(tempDir('hide-counts'), 'counts.json');
  const r = spawnSync(process.execPath, argv(ref), { encoding: 'utf8', env: { ...process.env, L2P_FAULT_COUNTS: counts } });
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(readFileSync(counts, 'utf8'));
  // Two tasks of equal size, each two gradient phases of 3 epochs and two passes over the same data.
  assert.equal(seen.step % 4, 0);
  assert.ok(seen.step / 4 >= 4, `phases of ${seen.step / 4} steps`);
  assert.equal(seen['stats-batch'] % 4, 0);
  const pass = seen['stats-batch'] / 4;
  const want = results(ref);
  assert.equal(want.acc.length, 2);
  const summary = JSON.parse(readFileSync(join(ref, 'summary.json'), 'utf8'));
  assert.equal(summary.kept.values.tii_rows, 4 * 2, 'two centroids for each of 4 classes, TII stage');
  assert.equal(summary.kept.values.prompt_rows, 4 * 2);
  assert.deepEqual(summary.kept.values.task_classes.map((x: number[]) => x.length), [2, 2]);

  const workdir = join(tempDir('hide-stop'), 'run');
  // 1: task 0, in its TII phase.
  let o = runWithFault(argv(workdir), 'step:2:SIGTERM');
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /phase 'tii' of task 0/);
  // 2: the TII phase's other steps, then the TII pass, stopped before its fit (nothing of it saved).
  o = runWithFault([...argv(workdir), '--resume'], 'stats-batch:1:SIGTERM');
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /statistics pass 'tii_stats' of task 0/);
  // 3: the TII pass again, then in the prompt phase.
  o = runWithFault([...argv(workdir), '--resume'], 'step:2:SIGTERM');
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /phase 'prompt' of task 0/);
  // 4: the prompt phase's other steps, task 0's prompt pass, task 1's phases up to its prompt pass.
  o = runWithFault([...argv(workdir), '--resume'], `stats-batch:${2 * pass + 1}:SIGTERM`);
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /statistics pass 'prompt_stats' of task 1/);
  trainToEnd([...argv(workdir), '--resume']);
  assert.deepEqual(results(workdir), want);
  const names = readdirSync(join(workdir, 'checkpoints')).filter((f) => f.endsWith('.npz'));
  assert.ok(names.every((f) => /^ckpt-\d{8}(\.t\d{4})?(\.p\d{2})?\.npz$/.test(f)), names.join(', '));
});
