// What the training loop reports besides its results: the lines it prints about the run's parameters
// and a task's classes, and TensorBoard's training scalars.
import { tags, type EventWriter } from '../report/index.ts';
import type { TrainWindow } from './checkpoint.ts';

/** Trainable and frozen parameter counts and the trained tensors by name, as the toolboxes print them. */
export function parameterReport(learner: { params: Map<string, { shape: number[]; data: Float32Array }> }, trained: readonly string[]): string {
  let nTrained = 0;
  let nFrozen = 0;
  for (const [k, v] of learner.params) {
    if (trained.includes(k)) nTrained += v.data.length;
    else nFrozen += v.data.length;
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  const list = trained.length <= 8 ? trained.map((k) => `${k} [${learner.params.get(k)!.shape.join(', ')}]`).join(', ') : `${trained.length} tensors`;
  return `parameters: ${fmt(nTrained)} trainable (${list}), ${fmt(nFrozen)} frozen`;
}

/** A class mask, shortened past a dozen classes. */
export function fmtMask(m: readonly number[]): string {
  return m.length > 12 ? `${m.slice(0, 10).join(',')},… (${m.length})` : m.join(',');
}

/** The training scalars of the steps in `w`, at TensorBoard step `step`. */
export function writeTrainScalars(events: EventWriter, w: TrainWindow, t: number, step: number): void {
  const n = w.loss.length;
  if (n === 0) return;
  const mu = w.loss.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(w.loss.reduce((a, x) => a + (x - mu) ** 2, 0) / n);
  events.scalars(
    { [tags.TRAIN_ACCURACY]: w.correct / w.count, [tags.LEARNING_RATE]: w.lr, [tags.LOSS]: mu, [tags.LOSS_STD]: std, [tags.L2_GRADS]: w.grad / n, [tags.TASK_ID]: t },
    step,
  );
}
