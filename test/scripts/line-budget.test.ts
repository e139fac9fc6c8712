// The line budget holds for the tree, and the check does catch a file over it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';

const check = (...roots: string[]) => spawnSync(process.execPath, ['scripts/line-budget.mjs', ...roots], { encoding: 'utf8' });

test('no source file under src/, test/, bench/ or scripts/ passes 400 lines', () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
});

test('a file of 401 lines fails the check, one of 400 and test data do not', () => {
  const dir = tempDir('line-budget');
  writeFileSync(join(dir, 'long.ts'), 'x\n'.repeat(401));
  writeFileSync(join(dir, 'ok.py'), 'x\n'.repeat(400));
  mkdirSync(join(dir, 'fixtures'));
  writeFileSync(join(dir, 'fixtures', 'data.ts'), 'x\n'.repeat(900));
  const r = check(dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /long\.ts: 401 lines, over the budget of 400; split it\n$/);
  assert.doesNotMatch(r.stderr, /ok\.py|data\.ts/);
});
