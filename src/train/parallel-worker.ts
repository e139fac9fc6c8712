// A data-parallel worker (src/train/parallel.ts): a learner of its own, built from the host's config
// and pretrained backbone, whose sessions run the forward and backward passes of the micro-batches the
// host sends, with the trained tensors it sends; the optimiser lives on the host. It ends when the
// host does (its channel closes).
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import '../fault-counts.ts';
import { disposeAll } from '../runtime/ort.ts';
import type { Learner, MicroResult } from './learner.ts';
import { own, type FromWorker, type ToWorker } from './parallel.ts';
import { createLearner } from './setup.ts';

let learner: Learner | Error | null = null;
let queue = Promise.resolve();

function reply(m: FromWorker): void {
  process.send!(m);
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    try {
      learner = createLearner(m.init.config, m.init.backbone, m.init.numClasses, m.init.runtime);
    } catch (e) {
      learner = e as Error;
    }
    return;
  }
  try {
    if (!learner) throw new Error('a step before the worker was set up');
    if (learner instanceof Error) throw learner;
    learner.setTrained(m.trained);
    const results: MicroResult[] = [];
    for (const j of m.jobs) {
      const r = await learner.runMicroBatch(j);
      results.push({ ...r, promptIds: own(r.promptIds), grads: new Map([...r.grads].map(([k, g]) => [k, own(g)] as const)) });
      faultPoint('worker-step');
    }
    reply({ id: m.id, ok: true, results });
  } catch (e) {
    reply({ id: m.id, ok: false, user: e instanceof UserError, message: (e as Error).message });
  }
}

process.on('message', (m: ToWorker) => {
  queue = queue.then(() => handle(m));
});
// The host gone (or closing the pool): nothing more will come.
const quit = () => void disposeAll().finally(() => process.exit(0));
process.on('disconnect', quit);
process.on('SIGTERM', quit);
// Ctrl-C reaches the whole process group: the host stops the run (after the step, with a checkpoint) and then ends the workers.
process.on('SIGINT', () => {});
