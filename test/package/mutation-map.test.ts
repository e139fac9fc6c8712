// The mutation-testing map (stryker/folders.json, read by stryker.config.mjs and scripts/mutate.mjs):
// every folder's mutate patterns name source files that exist, and every test file it lists exists,
// so a renamed or moved test cannot silently drop out of a folder's mutation score.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

interface Folder {
  mutate: string[];
  tests: string[];
}

const folders = JSON.parse(readFileSync('stryker/folders.json', 'utf8')) as Record<string, Folder>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('every folder of the mutation map mutates existing .ts sources and names existing test files', () => {
  assert.ok(Object.keys(folders).length > 0);
  for (const [name, f] of Object.entries(folders)) {
    assert.ok(f.mutate.length > 0 && f.tests.length > 0, name);
    for (const pattern of f.mutate) {
      // Patterns are '<dir>/**/*.ts' (a folder) or one file, optionally negated with '!'.
      const m = /^(!?)(src\/[\w/.-]+?)(\/\*\*\/\*\.ts)?$/.exec(pattern);
      assert.ok(m, `${name}: mutate pattern '${pattern}' is neither '<dir>/**/*.ts' nor a file`);
      const [, , path, glob] = m;
      if (glob) assert.ok(existsSync(path) && filesUnder(path).some((p) => p.endsWith('.ts')), `${name}: '${path}' holds no .ts file`);
      else assert.ok(existsSync(path) && statSync(path).isFile(), `${name}: '${path}' is not a file`);
    }
    for (const t of f.tests) {
      assert.match(t, /^test\/.+\.test\.ts$/, `${name}: '${t}' is not a test file`);
      assert.ok(existsSync(t), `${name}: '${t}' does not exist`);
    }
    assert.equal(new Set(f.tests).size, f.tests.length, `${name}: a test file is listed twice`);
  }
});

test('stryker.config.mjs gives each folder its own mutate patterns and test files, and refuses an unknown folder', async () => {
  const config = async (name: string) => {
    process.env.L2P_MUTATE = name;
    try {
      return (await import(`../../stryker.config.mjs?folder=${name}`)).default;
    } finally {
      delete process.env.L2P_MUTATE;
    }
  };
  for (const [name, f] of Object.entries(folders)) {
    const c = await config(name);
    assert.deepEqual(c.mutate, f.mutate, name);
    assert.deepEqual(c.tap.testFiles, f.tests, name);
  }
  await assert.rejects(config('no-such-folder'), /L2P_MUTATE: 'no-such-folder' is not a folder of stryker\/folders\.json/);
  assert.equal(JSON.parse(readFileSync('package.json', 'utf8')).scripts.mutate, 'node scripts/mutate.mjs');
});
