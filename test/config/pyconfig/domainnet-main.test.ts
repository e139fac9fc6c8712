// The user's command, `npx l2p main --my_config <their domainnet_l2p.py> --workdir=./domainnet_l2p/
// --my_config.init_checkpoint=./ViT-B_16.npz`, on a TFDS `domainnet` directory in the test fixtures'
// format and a tiny random ViT checkpoint, with --my_config overrides shrinking it to a smoke run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { getPreset } from '../../../src/config/presets.ts';
import { saveViT } from '../../../src/vit/params.ts';
import { randomViT } from '../../../src/vit/random.ts';
import { decodeVariant } from '../../../src/vit/variants.ts';
import { tempDir, writeTfds } from '../../fixtures/data/write.ts';
import { l2p } from '../../robust/cli.ts';

const DOMAINS = ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch'];

test('l2p main runs the DomainNet example file on a TFDS domainnet directory; a second run continues it; --exp_id joins the workdir', async () => {
  const dir = tempDir('domainnet-main');
  const dataDir = join(dir, 'tensorflow_datasets');
  const cycle = (n: number) => Array.from({ length: n }, (_, i) => i % 4);
  for (const d of DOMAINS) {
    await writeTfds(dataDir, { name: 'domainnet', path: `domainnet/${d}`, version: '1.0.0', numClasses: 345, shape: [32, 32, 3], splits: { train: { shards: [cycle(16)] }, test: { shards: [cycle(8)] } } });
  }
  const checkpoint = join(dir, 'ViT-B_16.npz');
  saveViT(checkpoint, randomViT(decodeVariant('ViT-mu_8'), 16, 3));
  const workdir = join(dir, 'domainnet_l2p/');
  const argv = [
    'main', '--my_config', 'examples/configs/domainnet_l2p.py', `--workdir=${workdir}`, `--my_config.init_checkpoint=${checkpoint}`,
    // The smoke shrink, with keys the file defines.
    '--my_config.model_name=ViT-mu_8', '--my_config.input_size=32', '--my_config.resize_size=36', '--my_config.per_device_batch_size=1',
    '--my_config.num_epochs=1', '--my_config.continual.num_tasks=2', '--my_config.dataset_list=("clipart", "real")',
    '--my_config.continual.num_train_steps_per_task=2', '--my_config.prompt_pool_param.length=2', '--my_config.shuffle_buffer_size=64',
    '--jax_backend_target=local', '--alsologtostderr', '--threads', '1', '--workers', '0',
  ];
  const env = { ...process.env, TFDS_DATA_DIR: dataDir };
  const r = await l2p(argv, env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^note: flags for JAX and absl logging have nothing to act on here and are ignored: --jax_backend_target=local --alsologtostderr$/m);
  const saved = JSON.parse(readFileSync(join(workdir, 'config.json'), 'utf8'));
  const want = getPreset('domainnet_l2p');
  assert.deepEqual(saved, {
    ...want,
    init_checkpoint: checkpoint,
    model_name: 'ViT-mu_8',
    input_size: 32,
    resize_size: 36,
    per_device_batch_size: 1,
    num_epochs: 1,
    dataset_list: ['clipart', 'real'],
    shuffle_buffer_size: 64,
    continual: { ...want.continual, num_tasks: 2, num_train_steps_per_task: 2 },
    prompt_pool_param: { ...want.prompt_pool_param, length: 2 },
  });
  const summary = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  assert.equal(summary.acc_matrix.length, 2, 'one row per domain trained');
  assert.match(r.stdout, /avg_acc [\d.]+%/);

  // As the official main.py, the same command on the same workdir continues the run instead of failing.
  const again = await l2p(argv, env);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8')).acc_matrix, summary.acc_matrix);

  // --exp_id joins the workdir: the same run, reached as DIR + ID, refuses another configuration.
  const other = argv.map((a) => (a.startsWith('--workdir=') ? `--workdir=${dir}` : a === '--my_config.num_epochs=1' ? '--my_config.num_epochs=2' : a));
  const r3 = await l2p([...other, '--exp_id', 'domainnet_l2p'], env);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, new RegExp(`'${join(dir, 'domainnet_l2p')}' holds a run with another configuration \\(differs in num_epochs\\)`));
});
