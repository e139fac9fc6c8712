// Deterministic fault injection for the kill-and-resume tests. L2P_FAULT=<event>:<n>[:<signal>]
// makes the process send itself <signal> (default SIGKILL) at the n-th occurrence of <event>, or, with
// an error code such as ENOSPC in place of the signal, makes that occurrence fail as a file system
// call fails with that code (several such plans may be given, separated by commas), so a
// test can stop a run at an exact point (after a step, between a checkpoint's npz and its state,
// half-way through an atomic write, in the middle of an evaluation) without racing a timer.
// Unset, a fault point returns at once. L2P_FAULT_COUNTS=<file> writes, as the process exits, how
// often each event occurred (JSON), so a test can tell how many steps a stopped session trained; the
// writing is src/fault-counts.ts's, since the page imports this module and may not use Node's fs.

export const FAULT_EVENTS = {
  /** A training step has finished and updated the parameters (loop.ts). */
  step: 'after a training step',
  /** One evaluation batch has been scored (evaluate.ts). */
  'eval-batch': 'in the middle of an evaluation',
  /** One batch of a statistics pass has been given to the method (statistics.ts). */
  'stats-batch': 'in the middle of a statistics pass',
  /** An evaluation's record was appended to metrics.jsonl, before the checkpoint that follows it. */
  metrics: 'after a metrics record',
  /** A checkpoint's npz is in place, its state.json not yet (checkpoint.ts). */
  checkpoint: 'between a checkpoint npz and its state',
  /** An atomic write has written part of its temporary file, before the rename (io/atomic.ts). */
  write: 'in the middle of an atomic write',
  /** A data-parallel worker has run one of its micro-batches, before sending the results (train/parallel-worker.ts). */
  'worker-step': 'in a data-parallel worker, after a micro-batch',
  /** A data-parallel worker is about to write a micro-batch's frozen gradients to shared memory (train/frozen-shm.ts). */
  'shm-write': "before a write to shared memory: a data-parallel worker's frozen gradients or the host's micro-batch images",
  /** A data-parallel worker has reduced its slice of the frozen gradients, before sending its sums (train/parallel-worker.ts). */
  'worker-reduce': 'in a data-parallel worker, after its share of the reduction',
} as const;

export type FaultEvent = keyof typeof FAULT_EVENTS;

interface Plan {
  event: FaultEvent;
  at: number;
  /** A signal (SIGKILL) or a file system error code (ENOSPC). */
  signal: string;
}

function parsePlans(spec: string | undefined): Plan[] {
  return spec ? spec.split(',').map(parsePlan) : [];
}

function parsePlan(spec: string): Plan {
  const [event, n, signal = 'SIGKILL'] = spec.split(':');
  const at = Number(n);
  if (!(event in FAULT_EVENTS) || !Number.isInteger(at) || at < 1 || !/^(SIG|E)[A-Z]+$/.test(signal)) {
    throw new Error(`L2P_FAULT='${spec}': expected <event>:<n>[:<signal or error code>] with event one of ${Object.keys(FAULT_EVENTS).join(', ')} and n >= 1`);
  }
  return { event: event as FaultEvent, at, signal };
}

const plans = parsePlans(process.env.L2P_FAULT);
const seen = new Map<FaultEvent, number>();
const countsFile = process.env.L2P_FAULT_COUNTS;

/** How often each event occurred so far (counted while L2P_FAULT or L2P_FAULT_COUNTS is set). */
export function faultCounts(): Record<string, number> {
  return Object.fromEntries(seen);
}

/** Marks one occurrence of `event`; a planned one sends its signal here, or throws its error code. */
export function faultPoint(event: FaultEvent): void {
  if (plans.length === 0 && !countsFile) return;
  const n = (seen.get(event) ?? 0) + 1;
  seen.set(event, n);
  for (const p of plans) {
    if (p.event !== event || p.at !== n) continue;
    if (p.signal.startsWith('SIG')) process.kill(process.pid, p.signal as NodeJS.Signals);
    else throw Object.assign(new Error(`${p.signal}: injected by L2P_FAULT at ${event} ${n}`), { code: p.signal });
  }
}
