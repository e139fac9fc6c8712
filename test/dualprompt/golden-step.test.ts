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
import { disposeAll } from '../../src/runtime/ort.ts';
import { assertGoldenClose } from '../helpers/golden.ts';

after(disposeAll);
const root = 'test/fixtures/golden';

const cases = readdirSync(root).filter((n) => existsSync(join(root, n, 'expected.npz')) && caseMethod(join(root, n)) === 'dualprompt');
assert.ok(cases.includes('dp0'));

for (const name of cases) {
  test(`dualprompt golden ${name}: one training step and the evaluation match expected.npz to 1e-4`, async () => {
    const dir = join(root, name);
    assertGoldenClose(await runDualPromptCase(dir), readNpz(join(dir, 'expected.npz')), name);
  });
}

test('dualprompt golden dp0: npx l2p debug-step writes every expected array', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-dp-')), 'out.npz');
  execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, 'dp0'), '--out', out], { stdio: 'pipe' });
  assertGoldenClose(readNpz(out), readNpz(join(root, 'dp0', 'expected.npz')), 'cli dp0');
});
