// StrykerJS over one source folder at a time: `npm run mutate -- <folder>` (scripts/mutate.mjs) names
// the folder in L2P_MUTATE, and stryker/folders.json maps it to the files it mutates and the test files
// that exercise them. The tap runner starts one node process per test file, and per-test coverage
// lets each mutant run only the test files that reach it; stryker/child-coverage.cjs adds what a test's
// child processes (`l2p train`, workers) reach to its coverage. A mutant runs the test files that reach
// it in the map's order and stops at the first that fails, so each list puts its fastest files first.
import { readFileSync } from 'node:fs';

const folders = JSON.parse(readFileSync(new URL('./stryker/folders.json', import.meta.url), 'utf8'));
const name = process.env.L2P_MUTATE ?? '';
const folder = folders[name];
if (!folder) throw new Error(`L2P_MUTATE: '${name}' is not a folder of stryker/folders.json (${Object.keys(folders).join(', ')})`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  tap: {
    testFiles: folder.tests,
    nodeArgs: ['-r', './stryker/child-coverage.cjs', '-r', '{{hookFile}}', '--import', 'tsx', '--conditions=l2p-ts-source', '{{testFile}}'],
    forceBail: true,
  },
  plugins: ['@stryker-mutator/tap-runner'],
  coverageAnalysis: 'perTest',
  mutate: folder.mutate,
  concurrency: 1,
  timeoutMS: 30000,
  tempDirName: 'tmp/stryker',
  ignorePatterns: ['/tmp', '/runs', '/dist', '/.cache', '/l2p-demo*', '/bench/gpu/*.tar.xz', '*.onnx', '/reports'],
  incremental: true,
  // Committed, so each session's mutant results carry over to the next (a rerun retests only what changed).
  incrementalFile: `stryker/incremental/${name}.json`,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `tmp/mutation/${name}/mutation.json` },
  htmlReporter: { fileName: `tmp/mutation/${name}/mutation.html` },
  cleanTempDir: true,
};
