// One L2P training step against every golden case: selection, logits, loss, gradients, Adam update.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readNpz } from '../../src/io/npz.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { caseMethod } from '../../src/cli/debug-step/case-method.ts';
import { runGoldenCase } from '../../src/l2p/golden-case.ts';
import { disposeAll } from '../../src/runtime/ort.ts';

after(disposeAll);
const root = 'test/fixtures/golden';

function compare(got: Map<string, NpyArray>, want: Map<string, NpyArray>, label: string): void {
  for (const [k, w] of want) {
    const x = got.get(k);
    assert.ok(x, `${label}: '${k}' is missing`);
    assert.deepEqual(x.shape, w.shape, `${label}: shape of '${k}'`);
    for (let i = 0; i < w.data.length; i++) {
      const a = Number(x.data[i]);
      const b = Number(w.data[i]);
      assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${label}: ${k}[${i}] = ${a}, expected ${b}`);
    }
  }
}

const cases = readdirSync(root).filter((n) => existsSync(join(root, n, 'expected.npz')) && caseMethod(join(root, n)) === 'l2p');
assert.ok(cases.includes('a'));

for (const name of cases) {
  test(`golden ${name}: one training step matches expected.npz to 1e-4`, async () => {
    const dir = join(root, name);
    compare(await runGoldenCase(dir), readNpz(join(dir, 'expected.npz')), name);
  });
}

test('golden a: npx l2p debug-step writes every expected array', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-ds-')), 'out.npz');
  execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, 'a'), '--out', out], { stdio: 'pipe' });
  compare(readNpz(out), readNpz(join(root, 'a', 'expected.npz')), 'cli a');
});
