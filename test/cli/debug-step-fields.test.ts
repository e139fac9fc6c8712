// debug-step reads a case.json strictly, per method: a field that would change the step but that the
// method's step does not implement is refused in one line naming it; descriptive fields pass.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCaseJson, UNDERSTOOD } from '../../src/cli/debug-step/case-fields.ts';
import type { CaseMethod } from '../../src/cli/debug-step/case-method.ts';
import { UserError } from '../../src/errors.ts';

const cases: [CaseMethod, string][] = [
  ['l2p', 'test/fixtures/golden/g'],
  ['dualprompt', 'test/fixtures/golden/dp5'],
  ['coda_prompt', 'test/fixtures/coda/coda2'],
];

for (const [method, dir] of cases) {
  test(`${method}: every field of ${dir} is read; an unknown one is refused, naming it and the method`, () => {
    assert.ok(Number(readCaseJson(dir, method).devices) > 1, 'the case itself, with its descriptive fields, is read');
    assert.ok(UNDERSTOOD[method].includes('devices'));
    const copy = mkdtempSync(join(tmpdir(), 'l2p-fields-'));
    for (const extra of ['label_smoothing', method === 'coda_prompt' ? 'clip' : 'ortho_mu']) {
      writeFileSync(join(copy, 'case.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')), [extra]: 1 }));
      assert.throws(
        () => readCaseJson(copy, method),
        (e: unknown) => e instanceof UserError && e.message.startsWith(`'${join(copy, 'case.json')}': field '${extra}' is not one debug-step implements for method '${method}'`),
      );
    }
  });
}
