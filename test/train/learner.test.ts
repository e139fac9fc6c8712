// The learner's training step in one process against the independent references (scripts/golden/, the
// official pmap step): micro-batches per device, their gradients averaged, the frozen gradients' norm
// (clip_scope 'all': summed squares from the graph for one device, the averaged tensors for several),
// the clip and the optimiser update, to the golden 1e-4 on every array.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCase } from '../../src/cli/debug-step.ts';
import { readNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { assertGoldenClose } from '../helpers/golden.ts';

after(disposeAll);

// Every case with an expected step: among them c (a clip of 0.05 that binds), e (one device, clip_scope
// 'all'), f and g (2 and 3 devices, clip_scope 'all'), DualPrompt's dp*, CODA-Prompt's coda* (coda2 on 2 devices).
const cases = ['test/fixtures/golden', 'test/fixtures/coda'].flatMap((root) =>
  readdirSync(root)
    .map((n) => join(root, n))
    .filter((d) => existsSync(join(d, 'expected.npz')) && existsSync(join(d, 'case.json'))),
);
assert.ok(cases.length >= 15 && cases.includes('test/fixtures/golden/e') && cases.includes('test/fixtures/coda/coda2'), cases.join(' '));

for (const dir of cases) {
  test(`${dir}: the step in this process matches the reference's expected.npz to 1e-4`, async () => {
    assertGoldenClose(await runCase(dir), readNpz(join(dir, 'expected.npz')), dir);
  });
}
