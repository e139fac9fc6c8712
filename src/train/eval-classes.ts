// Which classes a class-incremental evaluation ranks: a pure function of the config and the tasks, shared
// by the training loop, `l2p eval`, the API and the page (no file or worker access here).
import type { L2PConfig } from '../config/l2p.ts';
import { methodOf } from '../methods/index.ts';

interface HasClasses {
  classMask: readonly number[];
}

/**
 * The classes ranked when evaluating `task` after training `trained` (in order): the task's own under
 * task-incremental evaluation (eval_task_inc); every class of the tasks trained under a method that scores
 * the classes seen so far (CODA-Prompt: the official logits[:, :valid_out_dim]); otherwise null, every
 * column of the head (the official L2P and DualPrompt evaluation).
 */
export function evalClassMask(c: L2PConfig, task: HasClasses, trained: readonly HasClasses[]): readonly number[] | null {
  if (c.continual.eval_task_inc) return task.classMask;
  if (methodOf(c).evalClasses !== 'seen') return null;
  return [...new Set(trained.flatMap((t) => t.classMask))].sort((a, b) => a - b);
}
