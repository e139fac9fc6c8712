// One L2P training step against every golden case, through the learner that training uses: selection
// (each device's own vote in case f), logits, loss, gradients, Adam update.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readNpz } from '../../src/io/npz.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { caseMethod } from '../../src/cli/debug-step/case-method.ts';
import { runCase } from '../../src/cli/debug-step.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { assertGoldenClose } from '../helpers/golden.ts';

after(disposeAll);
const root = 'test/fixtures/golden';

const cases = readdirSync(root).filter((n) => existsSync(join(root, n, 'expected.npz')) && caseMethod(join(root, n)) === 'l2p');
assert.ok(cases.includes('a') && cases.includes('e') && cases.includes('f'));

for (const name of cases) {
  test(`golden ${name}: one training step matches expected.npz to 1e-4`, async () => {
    const dir = join(root, name);
    assertGoldenClose(await runCase(dir), readNpz(join(dir, 'expected.npz')), name);
  });
}

for (const name of ['a', 'e', 'f']) {
  test(`golden ${name}: npx l2p debug-step writes every expected array`, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'l2p-ds-')), 'out.npz');
    execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, name), '--out', out], { stdio: 'pipe' });
    assertGoldenClose(readNpz(out), readNpz(join(root, name, 'expected.npz')), `cli ${name}`);
  });
}

test("golden e: clipping over the trained tensors alone gives another norm (the scope is what case e tests)", async () => {
  const want = readNpz(join(root, 'e', 'expected.npz'));
  const trainedOnly = mkdtempSync(join(tmpdir(), 'l2p-e-'));
  for (const f of ['vit.npz', 'l2p.npz', 'batch.npz']) copyFileSync(join(root, 'e', f), join(trainedOnly, f));
  const c = JSON.parse(readFileSync(join(root, 'e', 'case.json'), 'utf8'));
  writeFileSync(join(trainedOnly, 'case.json'), JSON.stringify({ ...c, clip_scope: 'trained' }));
  const got = await runCase(trainedOnly);
  const norm = (m: Map<string, NpyArray>) => Number(m.get('grad_norm')!.data[0]);
  assert.ok(norm(want) > norm(got) * 1.01, `all ${norm(want)} vs trained ${norm(got)}`);
  let sq = 0;
  for (const k of ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias']) for (const v of got.get(`grad/${k}`)!.data) sq += Number(v) ** 2;
  assert.ok(Math.abs(Math.sqrt(sq) - norm(got)) < 1e-5);
});

test('golden f: two devices vote differently, and one device over the whole batch gives other ids', async () => {
  const want = readNpz(join(root, 'f', 'expected.npz'));
  const ids = Array.from(want.get('prompt_idx')!.data as Int32Array);
  assert.notDeepEqual(ids.slice(0, 6), ids.slice(6), 'the halves of the batch chose differently');
  const one = mkdtempSync(join(tmpdir(), 'l2p-f1-'));
  for (const f of ['vit.npz', 'l2p.npz', 'batch.npz']) copyFileSync(join(root, 'f', f), join(one, f));
  const c = JSON.parse(readFileSync(join(root, 'f', 'case.json'), 'utf8'));
  writeFileSync(join(one, 'case.json'), JSON.stringify({ ...c, devices: 1 }));
  const got = await runCase(one);
  assert.notDeepEqual(Array.from(got.get('prompt_idx')!.data as Int32Array), ids);
});

test('debug-step refuses a case.json field that its method does not read, devices that do not divide the batch, a class mask not the batch\'s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-field-'));
  for (const f of ['vit.npz', 'l2p.npz', 'batch.npz']) copyFileSync(join(root, 'f', f), join(dir, f));
  const c = JSON.parse(readFileSync(join(root, 'f', 'case.json'), 'utf8'));
  const run = (over: object) => {
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ ...c, ...over }));
    return spawnSync(process.execPath, ['bin/l2p.mjs', 'debug-step', dir, '--out', join(dir, 'out.npz')], { encoding: 'utf8' });
  };
  const r = run({ label_smoothing: 0.1 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^l2p debug-step: '.*case\.json': field 'label_smoothing' is not one debug-step implements for method 'l2p' \(it reads: .*devices, gelu\)\n$/);
  assert.equal(existsSync(join(dir, 'out.npz')), false);
  const d = run({ devices: 4 });
  assert.equal(d.status, 1);
  assert.match(d.stderr, /'devices' 4 does not divide the batch of 6 into equal slices/);
  assert.match(run({ class_mask: [2, 3] }).stderr, /'class_mask' \[2,3\] is not batch\.npz's \[2,3,4,5\]\n$/);
  assert.equal(run({ notes: 'descriptive', seed: 3 }).status, 0);
});
