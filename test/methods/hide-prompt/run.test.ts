// HiDe-Prompt through `l2p train` (cifar100_hideprompt_smoke: two tasks, each 'tii' steps, the
// 'tii_stats' pass and fit, 'prompt' steps, the 'prompt_stats' pass and fit): a run stopped in each
// kind of phase, one stop per session, resumed each time, ends with the uninterrupted run's results.
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

const argv = (workdir: string) => ['bin/l2p.mjs', 'train', '--config', 'cifar100_hideprompt_smoke', '--workdir', workdir, '--workers', '0', '--threads', '1', '--set', `data_dir=${dataDir}`];

test('l2p train: stops in a TII step, the TII pass, a prompt step and a later prompt pass resume to the same results', () => {
  const ref = join(tempDir('hide-ref'), 'run');
  const counts = join(tempDir('hide-counts'), 'counts.json');
  const r = spawnSync(process.execPath, argv(ref), { encoding: 'utf8', env: { ...process.env, L2P_FAULT_COUNTS: counts } });
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(readFileSync(counts, 'utf8'));
  // Two tasks, each two gradient phases of 3 steps (num_train_steps_per_task) and two passes over the same data.
  assert.equal(seen.step, 12);
  assert.equal(seen['stats-batch'] % 4, 0);
  const pass = seen['stats-batch'] / 4;
  assert.ok(pass >= 2, `a pass of ${pass} batches`);
  const want = results(ref);
  assert.equal(want.acc.length, 2);
  const summary = JSON.parse(readFileSync(join(ref, 'summary.json'), 'utf8'));
  assert.equal(summary.kept.values.tii_rows, 4 * 2, 'two centroids for each of 4 classes, TII stage');
  assert.equal(summary.kept.values.prompt_rows, 4 * 2);
  assert.deepEqual(summary.kept.values.task_classes.map((x: number[]) => x.length), [2, 2]);

  const workdir = join(tempDir('hide-stop'), 'run');
  // 1: task 0, TII step 2 of 3.
  let o = runWithFault(argv(workdir), 'step:2:SIGTERM');
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /phase 'tii' of task 0/);
  // 2: TII step 3, then the TII pass, stopped at its second batch (nothing of it saved).
  o = runWithFault([...argv(workdir), '--resume'], 'stats-batch:2:SIGTERM');
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /statistics pass 'tii_stats' of task 0/);
  // 3: the TII pass again, then prompt step 2 of 3.
  o = runWithFault([...argv(workdir), '--resume'], 'step:2:SIGTERM');
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /phase 'prompt' of task 0/);
  // 4: prompt step 3, task 0's prompt pass, task 1's phases up to its prompt pass's second batch.
  o = runWithFault([...argv(workdir), '--resume'], `stats-batch:${2 * pass + 2}:SIGTERM`);
  assert.equal(o.status, 143, o.stderr);
  assert.match(o.stderr, /statistics pass 'prompt_stats' of task 1/);
  trainToEnd([...argv(workdir), '--resume']);
  assert.deepEqual(results(workdir), want);
  const names = readdirSync(join(workdir, 'checkpoints')).filter((f) => f.endsWith('.npz'));
  assert.ok(names.every((f) => /^ckpt-\d{8}(\.t\d{4})?(\.p\d{2})?\.npz$/.test(f)), names.join(', '));
});
