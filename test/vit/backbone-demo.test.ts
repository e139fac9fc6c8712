// Every prompting method trains on a timm-layout backbone written by Debian's PyTorch: `l2p demo
// --backbone` on a random ViT-nano_4 in timm's names (foreign_ref.py --size nano), shrunk to two
// tasks of two steps. The run must load that file (its description is printed) and finish.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'l2p-backbone-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => {
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'foreign_ref.py'), dir, '--size', 'nano'], { stdio: 'pipe' });
});

for (const method of ['l2p', 'dualprompt', 'coda_prompt']) {
  test(`l2p demo --backbone <timm.pth> trains ${method}`, { timeout: 300_000 }, () => {
    const workdir = join(dir, method);
    const checkpoint = join(dir, 'timm.pth');
    const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'demo', '--backbone', checkpoint, '--method', method, '--workdir', workdir, '--workers', '0',
      '--set', 'continual.num_tasks=2', '--set', 'continual.num_train_steps_per_task=2', '--set', 'num_eval_steps=1'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stderr.includes(`backbone '${checkpoint}': timm VisionTransformer (PyTorch zip), width 128, depth 6, 4 heads, MLP 256, patch 4, 7×7 grid`), r.stderr);
    const config = JSON.parse(readFileSync(join(workdir, 'config.json'), 'utf8'));
    assert.equal(config.init_checkpoint, checkpoint);
    assert.equal(config.model_name, 'ViT-nano_4');
    assert.equal(config.method, method);
    const s = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
    assert.equal(s.acc_matrix.length, 2);
    assert.ok(s.acc_matrix.flat().every((a: number | null) => a === null || (a >= 0 && a <= 100)));
  });
}

test('init_checkpoint in timm names at another resolution: the position embedding is resized, the load described', async () => {
  const { getPreset } = await import('../../src/config/presets.ts');
  const { backboneFor } = await import('../../src/train/experiment.ts');
  const file = join(dir, 'timm.safetensors');
  const warnings: string[] = [];
  const infos: string[] = [];
  const vit = backboneFor({ ...getPreset('split_mnist_l2p'), init_checkpoint: file, input_size: 32, resize_size: 32 }, (m) => warnings.push(m), (m) => infos.push(m));
  assert.equal(vit.numPatches, 64);
  assert.deepEqual(vit.params.get('Transformer/posembed_input/pos_embedding')!.shape, [1, 65, 128]);
  assert.deepEqual(infos, [`backbone '${file}': timm VisionTransformer (safetensors), width 128, depth 6, 4 heads, MLP 256, patch 4, 7×7 grid; trained with the exact (erf) GELU`]);
  assert.deepEqual(warnings, [`'${file}': position embedding resized from a 7×7 to a 8×8 grid of patches for input_size 32 (linear zoom, class token kept, as the official loader)`]);
});
