// One L2P training step against every golden case: selection, logits, loss, gradients, Adam update.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
assert.ok(cases.includes('a') && cases.includes('e'));

for (const name of cases) {
  test(`golden ${name}: one training step matches expected.npz to 1e-4`, async () => {
    const dir = join(root, name);
    assertGoldenClose(await runCase(dir), readNpz(join(dir, 'expected.npz')), name);
  });
}

for (const name of ['a', 'e']) {
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
