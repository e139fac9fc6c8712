// The kill-and-resume soak: 20 kills at events drawn from a seeded generator (so a failure reproduces
// with the same seed), then the run finishes and must equal an uninterrupted one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { FAULT_EVENTS, type FaultEvent } from '../../src/fault.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { rng } from '../helpers/rng.ts';
import { results, runWithFault, trainArgv, trainToEnd } from '../helpers/train-run.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('soak-data');
before(() => writePresetData(dataDir));

const SEED = 20261128;
// The highest occurrence drawn per event: small enough that every drawn fault lands before the run ends.
// (The run has no data-parallel workers, so none of their events: data-parallel.test.ts kills those.)
/** The events that an L2P run in one process never meets: data-parallel workers' and a closed-form method's statistics pass. */
const WORKER_EVENTS = ['worker-step', 'shm-write', 'worker-reduce', 'stats-batch'] as const;
type SoakEvent = Exclude<FaultEvent, (typeof WORKER_EVENTS)[number]>;
const MAX_AT: Record<SoakEvent, number> = { step: 12, 'eval-batch': 8, metrics: 3, checkpoint: 3, write: 4 };

test(`20 kills at seeded random events (seed ${SEED}) resume to the same results`, (t) => {
  const epochs = 60;
  const ref = join(tempDir('soak-ref'), 'run');
  trainToEnd(trainArgv(ref, { dataDir, epochs }));
  const want = results(ref);

  const workdir = join(tempDir('soak-kill'), 'run');
  const argv = trainArgv(workdir, { dataDir, epochs });
  const r = rng(SEED);
  const events = (Object.keys(FAULT_EVENTS) as FaultEvent[]).filter((e): e is SoakEvent => !(WORKER_EVENTS as readonly string[]).includes(e));
  const plan: string[] = [];
  for (let i = 0; i < 20; i++) {
    const event = events[Math.floor(r() * events.length)];
    const fault = `${event}:${1 + Math.floor(r() * MAX_AT[event])}`;
    plan.push(fault);
    const out = runWithFault(i === 0 ? argv : [...argv, '--resume'], fault);
    assert.equal(out.signal, 'SIGKILL', `kill ${i} (L2P_FAULT=${fault}) did not land: status ${out.status}\n${out.stderr}`);
  }
  t.diagnostic(`faults: ${plan.join(' ')}`);
  trainToEnd([...argv, '--resume']);
  assert.deepEqual(results(workdir), want);
});
