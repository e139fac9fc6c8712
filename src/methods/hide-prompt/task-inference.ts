// Task-identity inference at test time (engines/hide_promtp_wtp_and_tap_engine.py:evaluate): the TII
// model's logits are masked to the classes of tasks 0..t, the arg-max class is taken, and its task
// (target_task_map) names the prompt the prompted model then uses for that example.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';

/** The task of each row's arg-max seen class: logits [B, C], seen [C] (1 = kept), taskOf [C]. */
export function inferTasks(logits: ArrayLike<number>, batch: number, seen: ArrayLike<number>, taskOf: ArrayLike<number>): Int32Array {
  const c = seen.length;
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = -1;
    let bestV = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = logits[b * c + k];
      if (seen[k] && (best < 0 || v > bestV)) [best, bestV] = [k, v];
    }
    out[b] = taskOf[best];
  }
  return out;
}

/** Acc@task (utils.py:task_inference_accuracy): the percentage of rows whose inferred task is their label's. */
export function taskInferenceAccuracy(tasks: ArrayLike<number>, labels: ArrayLike<number>, taskOf: ArrayLike<number>): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (tasks[i] === taskOf[labels[i]]) hit++;
  return (hit * 100) / labels.length;
}

/**
 * `inferTasks` as a graph, so one evaluation graph can run the TII head, pick each row's prompt and
 * run the prompted model: logits [B, C], seen [C] bool, taskOf [C] int32 → prompt ids [B, 1] int32
 * (the shape `fixed` selection reads). Ties go to the lower class, as torch.max's arg-max on CPU.
 */
export function taskPromptIds(logits: Tensor, seen: Tensor, taskOf: Tensor): Tensor {
  const best = g.topk(g.where(seen, logits, -Infinity), 1); // [B, 1] class
  return g.gather(taskOf, best); // [B, 1] task
}
