#!/usr/bin/env node
// Runs every test file under test/ (or the ones named on the command line) with node's test runner,
// after making sure the machine has what the tests read (scripts/test-deps.mjs).
// Node 20's `--test` does not discover .ts files itself, so the list is built here and passed explicitly.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureTestDeps } from './test-deps.mjs';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('-'));
const options = args.filter((a) => a.startsWith('-'));
const list = files.length > 0 ? files : walk('test');
if (list.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
const problem = ensureTestDeps();
if (problem) {
  console.error(`npm test: ${problem}`);
  process.exit(1);
}
// Two test files at a time: many of them spend their time waiting on a child (l2p, Chromium, Slurm),
// so two overlap well on 2 cores (node 20 would take one on 2 cores: availableParallelism() - 1).
// Each file is its own process with its own temporary folders and ports; a named --test-concurrency wins.
const concurrency = options.some((o) => o.startsWith('--test-concurrency')) ? [] : ['--test-concurrency=2'];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=l2p-ts-source', '--test', '--test-reporter=spec', ...concurrency, ...options, ...list], { stdio: 'inherit' });
process.exit(r.status ?? 1);
