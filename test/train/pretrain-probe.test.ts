// Pretraining writes a backbone in the official layout that every command loads; the linear probe
// separates what is separable.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { NpzReader } from '../../src/io/npz.ts';
import { linearProbe } from '../../src/train/probe.ts';
import { loadViT } from '../../src/vit/params.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { rng } from '../helpers/rng.ts';

test('l2p pretrain on DejaVu glyphs writes a loadable backbone with a 62-class head, and resumes', () => {
  const dir = tempDir('pretrain');
  const out = join(dir, 'glyph-vit.npz');
  const args = ['bin/l2p.mjs', 'pretrain', '--out', out, '--workdir', join(dir, 'wd'), '--model', 'mu/4', '--images', '128', '--epochs', '1', '--batch', '64', '--font-dir', '/usr/share/fonts/truetype/dejavu'];
  execFileSync(process.execPath, args, { stdio: 'pipe' });
  const vit = loadViT(out);
  assert.deepEqual(vit.config, { hidden: 48, depth: 2, heads: 3, mlp: 96, patch: 4 });
  assert.equal(vit.numPatches, 49);
  const npz = NpzReader.open(out);
  assert.deepEqual(npz.info('head/kernel').shape, [48, 62]);
  npz.close();
  // A second run in the same workdir must be told to resume; with --resume it finds the run finished.
  assert.throws(() => execFileSync(process.execPath, args, { stdio: 'pipe' }), /holds a pretraining run; pass --resume/);
  execFileSync(process.execPath, [...args, '--epochs', '2', '--resume'], { stdio: 'pipe' });
  assert.equal(loadViT(out).numPatches, 49);
});

test('linear probe: two separable clusters are classified perfectly, noise is not', () => {
  const r = rng(4);
  const make = (n: number, sep: number) => {
    const x = new Float32Array(n * 3);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      for (let j = 0; j < 3; j++) x[i * 3 + j] = (y[i] === 1 && j === 0 ? sep : 0) + (r() - 0.5);
    }
    return { x, y };
  };
  const a = make(200, 5);
  const b = make(100, 5);
  const sep = linearProbe(a.x, a.y, b.x, b.y, 3, 2, 100);
  assert.equal(sep.testAccuracy, 1);
  const c = make(200, 0);
  const d = make(200, 0);
  assert.ok(linearProbe(c.x, c.y, d.x, d.y, 3, 2, 100).testAccuracy < 0.65);
});
