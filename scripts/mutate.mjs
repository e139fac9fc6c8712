#!/usr/bin/env node
// `npm run mutate -- <folder> [stryker options]`: the mutation score of one source folder
// (stryker.config.mjs, stryker/folders.json). Reports go to tmp/mutation/<folder>/.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const folders = JSON.parse(readFileSync(new URL('../stryker/folders.json', import.meta.url), 'utf8'));
const [name, ...rest] = process.argv.slice(2);
if (!name || !(name in folders)) {
  console.error(`npm run mutate: name a folder: ${Object.keys(folders).join(', ')}`);
  process.exit(1);
}
const stryker = join(dirname(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json')), 'bin/stryker.js');
// Python references are pure functions of script and input: kept across the mutants' reruns (test/helpers/python-cache.ts).
const pythonCache = join(process.cwd(), 'tmp', 'python-cache');
const r = spawnSync(process.execPath, [stryker, 'run', 'stryker.config.mjs', ...rest], { stdio: 'inherit', env: { ...process.env, L2P_MUTATE: name, L2P_PYTHON_CACHE: pythonCache } });
process.exit(r.status ?? 1);
