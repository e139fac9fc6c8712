// One DualPrompt training step, and the evaluation before it, against every DualPrompt golden case:
// selection, logits, loss, gradients (the clip norm over the backbone's too), the Adam update.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { caseMethod } from '../../src/cli/debug-step/case-method.ts';
import { runDualPromptCase } from '../../src/cli/debug-step/dualprompt-case.ts';
import { readNpz } from '../../src/io/npz.ts';
import type { NpyArray } from '../../src/io/npy.ts';
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

const cases = readdirSync(root).filter((n) => existsSync(join(root, n, 'expected.npz')) && caseMethod(join(root, n)) === 'dualprompt');
assert.ok(cases.includes('dp0'));

for (const name of cases) {
  test(`dualprompt golden ${name}: one training step and the evaluation match expected.npz to 1e-4`, async () => {
    const dir = join(root, name);
    compare(await runDualPromptCase(dir), readNpz(join(dir, 'expected.npz')), name);
  });
}

test('dualprompt golden dp0: npx l2p debug-step writes every expected array', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-dp-')), 'out.npz');
  execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, 'dp0'), '--out', out], { stdio: 'pipe' });
  compare(readNpz(out), readNpz(join(root, 'dp0', 'expected.npz')), 'cli dp0');
});
