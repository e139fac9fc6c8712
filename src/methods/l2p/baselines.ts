// The baselines on L2P's backbone and stream: each is L2P's graph with another pool, selection or
// task list. shared_prompt: one prompt (pool of 1, no keys) and the head, tuned task after task;
// head_only: the classifier alone; joint: L2P trained once on every task's data (the upper bound).
import type { Method, TrainTask } from '../method.ts';
import { l2pFamilyModel, L2P_VARIANT } from './family.ts';

const inTurn = <S>(tasks: readonly TrainTask<S>[]): TrainTask<S>[] => [...tasks];

export const sharedPrompt: Method = {
  name: 'shared_prompt',
  summary: 'one prompt tuned sequentially with the head (baseline)',
  create: (c, vit, numClasses) => l2pFamilyModel(c, { prompts: true, single: true, slots: false }, vit, numClasses),
  trainTasks: inTurn,
  sequential: true,
};

export const headOnly: Method = {
  name: 'head_only',
  summary: 'the classifier head alone on the frozen class token (baseline)',
  create: (c, vit, numClasses) => l2pFamilyModel(c, { prompts: false, single: false, slots: false }, vit, numClasses),
  trainTasks: inTurn,
  sequential: true,
};

export const joint: Method = {
  name: 'joint',
  summary: 'L2P trained once on all tasks together (the upper bound)',
  create: (c, vit, numClasses) => l2pFamilyModel(c, { ...L2P_VARIANT, slots: false }, vit, numClasses),
  trainTasks: (tasks, concat) => [
    {
      classMask: [...new Set(tasks.flatMap((t) => t.classMask))].sort((a, b) => a - b),
      train: concat(tasks.map((t) => t.train)),
      test: tasks[0].test,
    },
  ],
  sequential: false,
};
