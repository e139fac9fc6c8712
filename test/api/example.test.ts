// The library example in the README runs as written: the block between its markers is run, and
// what it prints agrees with the run it made.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';

function exampleCode(): string {
  const doc = readFileSync('README.md', 'utf8');
  const m = /<!-- example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- example:end -->/.exec(doc);
  assert.ok(m, 'README.md has a ```ts block between <!-- example:start --> and <!-- example:end -->');
  return m[1];
}

test('the package name resolves to src/index.ts inside the repository', async () => {
  const byName = await import('l2p-ts');
  const byPath = await import('../../src/index.ts');
  assert.equal(byName.train, byPath.train);
});

test('the README example trains, reports avg_acc and predicts', () => {
  const code = exampleCode();
  assert.ok(code.trim().split('\n').length <= 25, 'the example stays within 25 lines');
  assert.match(code, /from 'l2p-ts'/);
  // Written outside the repository, the package name would not resolve: point it at the entry file.
  const file = join(tempDir('example'), 'example.mts');
  writeFileSync(file, code.replace(/from 'l2p-ts'/g, `from ${JSON.stringify(pathToFileURL(resolve('src/index.ts')).href)}`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `the example failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const head = /^avg_acc (\d+\.\d\d)% after 2 tasks, run in (.+)$/.exec(lines[0]);
  assert.ok(head, `first line: ${lines[0]}`);
  const summary = JSON.parse(readFileSync(join(head[2], 'summary.json'), 'utf8'));
  assert.equal(head[1], summary.avg_acc.toFixed(2));
  const preds = lines.slice(1);
  assert.equal(preds.length, 4);
  for (const [i, line] of preds.entries()) {
    const m = /^image (\d): label (\d+), predicted (\d+), prompts (\d+) (\d+)$/.exec(line);
    assert.ok(m, `prediction line: ${line}`);
    assert.equal(Number(m[1]), i);
    assert.ok([2, 3].includes(Number(m[2])), 'task 1 of the smoke split holds classes 2 and 3');
    assert.ok(Number(m[3]) < 4, 'a class of the two tasks trained');
    for (const id of [m[4], m[5]]) assert.ok(Number(id) < summary.config.prompt_pool_param.pool_size);
  }
  rmSync(head[2], { recursive: true, force: true });
});
