// Official-style files (ours, with every key of the official file of the same name) train through
// `l2p main` as they are, shrunk by --my_config overrides of keys the file defines. These need the key
// rule of src/config that accepts the official never-read keys with a notice and DualPrompt's
// switches under L2P when they hold L2P's meaning.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, writeTfds } from '../../fixtures/data/write.ts';
import { l2p } from '../../robust/cli.ts';

const SHRINK = {
  model_name: 'ViT-mu_8', input_size: '32', resize_size: '36', per_device_batch_size: '1', num_epochs: '1', eval_pad_last_batch: 'true',
  'continual.num_tasks': '2', 'continual.num_classes_per_task': '2', 'continual.num_train_steps_per_task': '3', shuffle_buffer_size: '64',
  'prompt_pool_param.pool_size': '2', 'prompt_pool_param.length': '2',
};

async function trainFile(name: string, extra: Record<string, string>) {
  const dir = tempDir('official-main');
  const dataDir = join(dir, 'tfds');
  const cycle = (n: number) => Array.from({ length: n }, (_, i) => i % 100);
  await writeTfds(dataDir, { name: 'cifar100', version: '3.0.2', numClasses: 100, shape: [32, 32, 3], splits: { train: { shards: [cycle(400)] }, test: { shards: [cycle(200)] } } });
  const workdir = join(dir, name);
  const overrides = Object.entries({ ...SHRINK, ...extra }).map(([k, v]) => `--my_config.${k}=${v}`);
  const r = await l2p(['main', '--my_config', `examples/configs/${name}.py`, `--workdir=${workdir}`, ...overrides, '--threads', '1', '--workers', '0'], { ...process.env, TFDS_DATA_DIR: dataDir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8')).acc_matrix.length, 2);
  return { stderr: r.stderr, config: JSON.parse(readFileSync(join(workdir, 'config.json'), 'utf8')) };
}

test('l2p main trains examples/configs/cifar100_l2p.py as it is, naming the never-read keys in one notice', async () => {
  const { stderr, config } = await trainFile('cifar100_l2p', { 'prompt_pool_param.top_k': '1' });
  assert.equal(config.method, 'l2p');
  const notices = stderr.split('\n').filter((l) => /never read by the official code/.test(l));
  assert.equal(notices.length, 1, stderr);
  for (const k of ['gaussian_mode', 'offline_eval', 'trial', 'log_loss_every_steps']) assert.ok(notices[0].includes(k), k);
});

test('l2p main trains examples/configs/cifar100_dualprompt.py as it is', async () => {
  const { config } = await trainFile('cifar100_dualprompt', { g_prompt_layer_idx: '[0]', g_prompt_length: '2', e_prompt_layer_idx: '[1]' });
  assert.equal(config.method, 'dualprompt');
  assert.deepEqual(config.e_prompt_layer_idx, [1]);
});
