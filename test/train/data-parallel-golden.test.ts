// The multi-device step on data-parallel worker processes against the independent references
// (scripts/golden/, the official pmap step), not against the learner run in one process: each device's
// selection and vote, logits and loss, the gradients averaged over devices, the norm over the averaged
// frozen gradients (clip_scope 'all'), the clip and the Adam update, to the golden 1e-4 on every array.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCase } from '../../src/cli/debug-step.ts';
import { readNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { assertGoldenClose } from '../helpers/golden.ts';

after(disposeAll);

// f: L2P, 2 devices (shared set); g: L2P, 3 devices over 2 workers (one runs two micro-batches), a tied
// vote; dp5: DualPrompt, 2 devices voting differently in training and evaluation; coda2: CODA-Prompt, 2 devices.
const cases = ['test/fixtures/golden/f', 'test/fixtures/golden/g', 'test/fixtures/golden/dp5', 'test/fixtures/coda/coda2'];

for (const dir of cases) {
  test(`${dir}: the step on 2 data-parallel workers matches the reference's expected.npz to 1e-4`, async () => {
    assertGoldenClose(await runCase(dir, {}, 2), readNpz(join(dir, 'expected.npz')), `${dir} on 2 workers`);
  });
}

test('l2p debug-step --data-parallel: more workers than the case has devices is refused in one line', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-dpw-')), 'out.npz');
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'debug-step', 'test/fixtures/golden/f', '--out', out, '--data-parallel', '3'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "l2p debug-step: --data-parallel 3: the case's step has 2 device(s), so a worker would have none\n");
});
