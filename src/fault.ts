// Deterministic fault injection for the kill-and-resume tests. L2P_FAULT=<event>:<n>[:<signal>]
// makes the process send itself <signal> (default SIGKILL) at the n-th occurrence of <event>, so a
// test can stop a run at an exact point (after a step, between a checkpoint's npz and its state,
// half-way through an atomic write, in the middle of an evaluation) without racing a timer.
// Unset, every fault point is one Map lookup.

export const FAULT_EVENTS = {
  /** A training step has finished and updated the parameters (loop.ts). */
  step: 'after a training step',
  /** One evaluation batch has been scored (evaluate.ts). */
  'eval-batch': 'in the middle of an evaluation',
  /** An evaluation's record was appended to metrics.jsonl, before the checkpoint that follows it. */
  metrics: 'after a metrics record',
  /** A checkpoint's npz is in place, its state.json not yet (checkpoint.ts). */
  checkpoint: 'between a checkpoint npz and its state',
  /** An atomic write has written part of its temporary file, before the rename (io/atomic.ts). */
  write: 'in the middle of an atomic write',
} as const;

export type FaultEvent = keyof typeof FAULT_EVENTS;

interface Plan {
  event: FaultEvent;
  at: number;
  signal: NodeJS.Signals;
}

function parsePlan(spec: string | undefined): Plan | null {
  if (!spec) return null;
  const [event, n, signal = 'SIGKILL'] = spec.split(':');
  const at = Number(n);
  if (!(event in FAULT_EVENTS) || !Number.isInteger(at) || at < 1 || !/^SIG[A-Z]+$/.test(signal)) {
    throw new Error(`L2P_FAULT='${spec}': expected <event>:<n>[:<signal>] with event one of ${Object.keys(FAULT_EVENTS).join(', ')} and n >= 1`);
  }
  return { event: event as FaultEvent, at, signal: signal as NodeJS.Signals };
}

const plan = parsePlan(process.env.L2P_FAULT);
const seen = new Map<FaultEvent, number>();

/** Marks one occurrence of `event`; the planned one stops the process here. */
export function faultPoint(event: FaultEvent): void {
  if (plan === null || plan.event !== event) return;
  const n = (seen.get(event) ?? 0) + 1;
  seen.set(event, n);
  if (n === plan.at) process.kill(process.pid, plan.signal);
}
