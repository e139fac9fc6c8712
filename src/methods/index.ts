// Every method by its config name. Adding a method: its module here, the table of the config keys
// it reads in keys.ts, and a preset in configs/.
import type { L2PConfig } from '../config/l2p.ts';
import { headOnly, joint, sharedPrompt } from './baselines.ts';
import { codaPrompt } from './coda-prompt.ts';
import { dualprompt } from './dualprompt.ts';
import { l2p } from './l2p.ts';
import type { Method } from './method.ts';

export const METHODS: Record<L2PConfig['method'], Method> = {
  l2p,
  dualprompt,
  coda_prompt: codaPrompt,
  shared_prompt: sharedPrompt,
  head_only: headOnly,
  joint,
};

export function methodOf(c: Pick<L2PConfig, 'method'>): Method {
  return METHODS[c.method];
}

export type { EvalSpec, GraphPlan, Method, MethodModel, MethodState, StepGraph, TrainSpec, TrainTask } from './method.ts';
