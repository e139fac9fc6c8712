// A data-parallel worker (src/train/parallel.ts): a learner of its own, built from the host's config
// and pretrained backbone, whose sessions run the forward and backward passes of the micro-batches the
// host sends (their images read from shared memory), with the trained tensors it sends; the optimiser
// lives on the host. Frozen gradients, where the host asks for them, go to shared memory, and the
// worker reduces the slice of them the host gives it (src/train/frozen-shm.ts). It ends when the host
// does (its channel closes).
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import '../fault-counts.ts';
import { disposeAll } from '../runtime/ort.ts';
import { readFloats, reduceSlice, ShmFault, writeFrozen, type FrozenLayout } from './frozen-shm.ts';
import type { Learner, MicroResult } from './learner.ts';
import { own, type FromWorker, type ToWorker } from './parallel.ts';
import { createLearner } from './setup.ts';

let learner: Learner | Error | null = null;
let queue = Promise.resolve();

function reply(m: FromWorker): void {
  process.send!(m);
}

async function step(l: Learner, m: ToWorker & { type: 'step' }): Promise<FromWorker> {
  l.setTrained(m.trained);
  const trained = new Set(l.trainedTensors.keys());
  const results: MicroResult[] = [];
  const layouts: FrozenLayout[] = [];
  const px = l.imageSize * l.imageSize * 3;
  for (const [i, job] of m.jobs.entries()) {
    const j = { ...job, images: readFloats(m.imageFiles[i], job.labels.length * px) };
    const r = await l.runMicroBatch(j);
    let grads = r.grads;
    if (m.frozenFiles) {
      grads = new Map([...r.grads].filter(([k]) => trained.has(k)));
      layouts.push(writeFrozen(m.frozenFiles[i], [...r.grads].filter(([k]) => !trained.has(k))));
    }
    results.push({ ...r, promptIds: own(r.promptIds), grads: new Map([...grads].map(([k, g]) => [k, own(g)] as const)) });
    faultPoint('worker-step');
  }
  return { id: m.id, ok: true, results, layouts: m.frozenFiles ? layouts : null };
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
    if (m.type === 'reduce') {
      const squares = reduceSlice(m.slice);
      faultPoint('worker-reduce');
      return reply({ id: m.id, ok: true, squares });
    }
    if (!learner) throw new Error('a step before the worker was set up');
    if (learner instanceof Error) throw learner;
    reply(await step(learner, m));
  } catch (e) {
    const kind = e instanceof ShmFault ? 'shm' : e instanceof UserError ? 'user' : 'bug';
    reply({ id: m.id, ok: false, kind, message: (e as Error).message });
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
