// l2p eval re-evaluates a run to the numbers it reported; l2p predict classifies image files.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { encodePng } from '../../src/data/image.ts';
import { pattern, tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { writeFileSync } from 'node:fs';

const dataDir = tempDir('evalpred-data');
const workdir = join(tempDir('evalpred'), 'run');
const cli = (...a: string[]) => execFileSync(process.execPath, ['bin/l2p.mjs', ...a], { encoding: 'utf8', stdio: 'pipe' });

before(async () => {
  await writePresetData(dataDir);
  // num_eval_steps -1: the run's own evaluations cover the whole test split, as l2p eval does.
  cli('train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--workers', '0', '--set', `data_dir=${dataDir}`, '--set', 'num_eval_steps=-1', '--set', 'num_epochs=3');
});

test('l2p eval reproduces the final column of the accuracy matrix', () => {
  const summary = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  const out = JSON.parse(cli('eval', '--workdir', workdir, '--json'));
  assert.equal(out.selection, 'batchwise');
  assert.equal(out.tasks_trained, 2);
  assert.deepEqual(out.accuracy, summary.acc_matrix.map((row: number[]) => row[1]));
  const per = JSON.parse(cli('eval', '--workdir', workdir, '--json', '--selection', 'per_instance'));
  assert.equal(per.selection, 'per_instance');
  assert.equal(JSON.parse(readFileSync(join(workdir, 'eval-per_instance.json'), 'utf8')).avg_acc, per.avg_acc);
});

test('l2p predict gives a class and the selected prompts per image', async () => {
  const file = join(tempDir('evalpred-img'), 'a.png');
  writeFileSync(file, await encodePng(pattern(3, 40, 30, 3)));
  const out = JSON.parse(cli('predict', '--workdir', workdir, '--images', file, '--json'));
  assert.equal(out.length, 1);
  assert.ok(Number.isInteger(out[0].class) && out[0].class >= 0 && out[0].class < 4);
  assert.equal(out[0].prompts.length, 2, 'top_k ids of the smoke pool');
  for (const id of out[0].prompts) assert.ok(id >= 0 && id < 4);
});

test('l2p eval and predict name what is wrong', () => {
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'eval', '--workdir', join(dataDir, 'nothing')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /holds no run \(no config.json\)/);
  const p = spawnSync(process.execPath, ['bin/l2p.mjs', 'predict', '--workdir', workdir, '--images', join(dataDir, 'missing.png')], { encoding: 'utf8' });
  assert.equal(p.status, 1);
  assert.match(p.stderr, /cannot read image '.*missing.png': it does not exist/);
});
