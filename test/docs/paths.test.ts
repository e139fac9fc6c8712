// Every src/, test/, bench/, scripts/ and docs/ path that README.md and docs/*.md name exists in the
// repository, or is a build output git ignores (such as bench/gpu's packed archive).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { docPaths, ROOT } from './doc-text.ts';

const ignored = (p: string) => spawnSync('git', ['check-ignore', '-q', p], { cwd: ROOT }).status === 0;

test('the paths are found, placeholders end the checked part', () => {
  const doc = { file: 'x.md', text: 'see `src/methods/<name>/index.ts`, (test/web/*.test.ts) and ./bench/vit.ts.\nnot node_modules/x/src/y.ts' };
  assert.deepEqual(docPaths([doc]).map((p) => p.path), ['src/methods/', 'test/web/', 'bench/vit.ts']);
});

test('every path the docs name exists', () => {
  const all = docPaths();
  assert.ok(all.length >= 100, `${all.length} paths`);
  const missing = all.filter(({ path }) => !existsSync(join(ROOT, path)) && !ignored(path)).map(({ where, path }) => `${where}: ${path}`);
  assert.deepEqual(missing, []);
});
