// `l2p eval --workdir`: re-evaluates a finished or partial run on the test split of every task it
// has trained, with the test-time selection it ran with or another one.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { runFiles } from '../rundir/layout.ts';
import { lockRun, type RunLock } from '../rundir/lock.ts';
import { disposeAll } from '../runtime/ort.ts';
import { evalClassMask } from '../train/eval-classes.ts';
import { evalOptionsOf, evaluateSource } from '../train/evaluate.ts';
import { openRun } from '../train/open-run.ts';
import { streamFor } from '../train/stream.ts';
import { optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';

const HELP = `usage: l2p eval --workdir <dir> [--selection batchwise|per_instance] [--threads N] [--device cpu|webgpu] [--json]

Evaluates the latest checkpoint of a run on every task trained so far and writes eval-<selection>.json.
  --selection  test-time prompt selection: the official batch-wise vote, or each input on its own
               (default: the run's test_time_selection)
${DEVICE_HELP.replace('--device   ', '--device    ')}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workdir: { type: 'string' },
      selection: { type: 'string' },
      threads: { type: 'string' },
      device: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.workdir) throw new UserError(`--workdir is required\n\n${HELP}`);
  const sel = values.selection;
  if (sel !== undefined && sel !== 'batchwise' && sel !== 'per_instance') throw new UserError(`--selection must be 'batchwise' or 'per_instance', got '${sel}'`);
  const threads = optionalInt(values.threads, '--threads');
  const device = deviceOption(values.device);
  let lock: RunLock | undefined;
  try {
    const { config, learner, state } = openRun(values.workdir, { threads, device }, sel ? { test_time_selection: sel } : undefined);
    // Its result file makes eval a writer of the run: not beside a train that is still running.
    lock = lockRun(values.workdir);
    const stream = await streamFor(config);
    const trainedTasks = Math.min(state.task + (state.stepInTask > 0 ? 1 : 0), stream.tasks.length);
    if (trainedTasks === 0) throw new UserError(`'${values.workdir}' has not trained any task yet`);
    const sharedTest = stream.tasks.every((t) => t.test === stream.tasks[0].test);
    const ids = sharedTest ? [0] : Array.from({ length: trainedTasks }, (_, i) => i);
    const accuracy: number[] = [];
    for (const i of ids) {
      const task = stream.tasks[i];
      const r = await evaluateSource(learner, task.test, evalClassMask(config, task, stream.tasks.slice(0, trainedTasks)), { ...evalOptionsOf(config), maxBatches: -1 });
      accuracy.push(r.accuracy);
      if (!values.json) console.log(`task ${i}: accuracy ${r.accuracy.toFixed(2)}% (${r.count} images), loss ${r.loss.toFixed(4)}`);
    }
    const result = {
      selection: learner.evalSelection(),
      tasks_trained: trainedTasks,
      accuracy,
      avg_acc: accuracy.reduce((a, b) => a + b, 0) / accuracy.length,
    };
    writeJsonAtomic(runFiles(values.workdir).evalResult(result.selection), result);
    if (values.json) console.log(JSON.stringify(result));
    else console.log(`avg_acc ${result.avg_acc.toFixed(2)}% with ${result.selection} selection`);
  } finally {
    lock?.release();
    await disposeAll();
  }
  return 0;
}
