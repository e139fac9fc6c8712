// Seeded fuzzing of the parsers the readers rest on: TFRecord framing and tf.train.Example, IDX
// (raw and gzipped), the CIFAR binary version, TFDS's dataset_info.json and features.json, PNG/JPEG
// records decoded through the pipeline, and ViT checkpoints (npz/npy alone: test/io/fuzz.test.ts).
// Each target runs a fixed number of cases from a fixed seed, so a failure reproduces exactly.
// Every mutated input must parse or fail with a UserError; a case that runs past HANG_MS is a hang,
// and the process may not grow by more than RSS_LIMIT while the cases run (a length field must never
// size an allocation). The cases of one target run in a worker thread, watched from here; a failure
// names its seed and case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { FuzzJob, FuzzMessage } from './fuzz-targets.ts';

// Longer local runs: L2P_FUZZ_SCALE=50 L2P_FUZZ_SEED=7 node scripts/test.mjs test/robust/fuzz-parsers.test.ts
const SCALE = Number(process.env.L2P_FUZZ_SCALE ?? 1);
const SEED = Number(process.env.L2P_FUZZ_SEED ?? 0);
const HANG_MS = 3000;
const SETUP_MS = 15_000;
const RSS_LIMIT = 200 * 2 ** 20;

interface Outcome {
  cases: number;
  userErrors: number;
  rssGrowth: number;
}

function fuzz(target: string, seed: number, cases: number): Promise<Outcome> {
  const job: FuzzJob = { target, seed, cases };
  return new Promise((resolve, reject) => {
    const base = process.memoryUsage().rss;
    let peak = base;
    let current = -1;
    let last = performance.now();
    let limit = SETUP_MS;
    const worker = new Worker(new URL('./fuzz-worker.mjs', import.meta.url), { workerData: job, execArgv: [] });
    const finish = (err: Error | null, outcome?: Outcome) => {
      clearInterval(watch);
      void worker.terminate();
      if (err) reject(err);
      else resolve(outcome!);
    };
    const watch = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      if (performance.now() - last > limit) {
        finish(new Error(`${target}: case ${current} (seed ${seed}) ran for more than ${limit} ms: a hang`));
      }
    }, 20);
    worker.on('message', (m: FuzzMessage) => {
      last = performance.now();
      if (m.kind === 'ready') limit = HANG_MS;
      else if (m.kind === 'case') current = m.i;
      else if (m.kind === 'fail') finish(new Error(`${target}: case ${m.i} (seed ${seed}) threw something other than a UserError:\n${m.error}`));
      else finish(null, { cases: m.cases, userErrors: m.userErrors, rssGrowth: Math.max(peak, m.peakRss) - base });
    });
    worker.on('error', (e) => finish(new Error(`${target}: case ${current} (seed ${seed}) killed the worker: ${e.message}`)));
    worker.on('exit', (code) => finish(new Error(`${target}: the worker exited (${code}) during case ${current} (seed ${seed})`)));
  });
}

// Cases per target: about a second's work each on a 2-core machine.
const TARGETS = [['tfrecord', 101, 400], ['idx', 202, 200], ['cifar', 303, 100], ['tfds-json', 404, 150], ['image', 505, 150], ['checkpoint', 606, 120]] as const;

for (const [target, seed, count] of TARGETS) {
  const cases = Math.round(count * SCALE);
  test(`fuzz ${target}: ${cases} mutated inputs (seed ${seed + SEED}) parse or throw a UserError, without hangs or runaway memory`, { timeout: 60_000 * SCALE }, async (t) => {
    const r = await fuzz(target, seed + SEED, cases);
    t.diagnostic(`${r.cases} cases, ${r.userErrors} UserErrors, RSS grew ${(r.rssGrowth / 2 ** 20).toFixed(0)} MB`);
    assert.equal(r.cases, cases);
    assert.ok(r.userErrors > 0, 'no case was rejected: the mutations do not reach the parser');
    assert.ok(r.userErrors < r.cases, 'every case was rejected: the valid files do not parse');
    assert.ok(r.rssGrowth < RSS_LIMIT, `RSS grew by ${(r.rssGrowth / 2 ** 20).toFixed(0)} MB`);
  });
}
