// A task learnt in closed form in the page (SimpleCIL's prototypes, RanPAC's ridge head): no
// training loop. Each training example is embedded once by the frozen backbone (the method's
// evaluation graph, the central crop the Node statistics pass uses: src/train/statistics.ts), the
// method's accumulator takes the features, and its fit writes the head.
import type { L2PConfig } from '../../config/l2p.ts';
import type { Learner } from '../../train/learner.ts';
import { toInput, type Example } from './batches.ts';

/** Where the time of a closed-form task went, in seconds. */
export interface FitTiming {
  examples: number;
  /** The frozen backbone's forward over the task's training examples. */
  embedSeconds: number;
  /** The method's closed-form fit (prototype means, or G and Q updated and the ridge solved). */
  fitSeconds: number;
}

/** Task t's statistics pass over `train` in device batches (the last one smaller), then the fit. */
export async function fitInClosedForm(learner: Learner, train: Example[], t: number, c: L2PConfig): Promise<FitTiming> {
  const pass = learner.model.statistics!(t);
  const per = c.per_device_batch_size;
  const px = c.input_size * c.input_size * 3;
  const t0 = performance.now();
  for (let s = 0; s < train.length; s += per) {
    const part = train.slice(s, s + per);
    const images = new Float32Array(part.length * px); // [n, H, W, 3]
    part.forEach((e, i) => images.set(toInput(e.pixels, c), i * px));
    const labels = Int32Array.from(part, (e) => e.label);
    pass.add(await learner.features(images, labels), labels); // features [n, D]
  }
  const t1 = performance.now();
  await pass.finish(learner.params, learner.graphs);
  const t2 = performance.now();
  return { examples: train.length, embedSeconds: (t1 - t0) / 1000, fitSeconds: (t2 - t1) / 1000 };
}
