// The TensorBoard tags the official train_continual.py writes (through clu's metric writers), so
// runs of both implementations overlay in one TensorBoard. docs/tensorboard.md says when each is
// written and on which step axis.

/** Training, once per epoch: step = epoch index over all tasks (`task_id * num_epochs + epoch`). */
export const TRAIN_ACCURACY = 'train_accuracy';
export const LEARNING_RATE = 'learning_rate';
export const LOSS = 'loss';
export const LOSS_STD = 'loss_std';
export const L2_GRADS = 'l2_grads';
export const TASK_ID = 'task_id';

/** Evaluation, at each eval point: step = the global eval counter (`summary_step`). */
export const AVG_ACC = 'avg_acc';

/** Top-1 accuracy, a fraction in [0, 1] (clu's `metrics.Accuracy`), on the test split of task `i`. */
export function accuracyTag(i: number): string {
  return `accuracy_${i}`;
}

/** Mean cross-entropy on the test split of task `i`. */
export function evalLossTag(i: number): string {
  return `eval_loss_${i}`;
}

/** Which prompts the pool selected on the test split of task `i`, one bucket per prompt id. */
export function promptHistogramTag(i: number): string {
  return `histogram_${i}`;
}

/** At the end of each task, on the eval step axis; `forgetting` and `backward` from the second task on. */
export const FORGETTING = 'forgetting';
export const BACKWARD = 'backward';
export const LEARNING_ACC = 'learning_acc';

/** The run's config, as a markdown table for the text plugin (the official code uses the hparams plugin). */
export const HPARAMS = 'hparams';
