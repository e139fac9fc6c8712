// Every method by its config name. Adding a method: its folder here (src/methods/<name>/index.ts
// exporting its Method), one line in this table and one in keys.ts (its key table), the name in the
// config schema, and a preset in configs/ (docs/methods.md).
import type { L2PConfig } from '../config/l2p.ts';
import { codaPrompt } from './coda-prompt/index.ts';
import { dualprompt } from './dualprompt/index.ts';
import { headOnly, joint, l2p, sharedPrompt } from './l2p/index.ts';
import type { Method } from './method.ts';
import { ranpac } from './ranpac/index.ts';
import { simplecil } from './simplecil/index.ts';
import { aper } from './aper/index.ts';
import { hidePrompt } from './hide-prompt/index.ts';

export const METHODS: Record<L2PConfig['method'], Method> = {
  l2p,
  dualprompt,
  coda_prompt: codaPrompt,
  shared_prompt: sharedPrompt,
  head_only: headOnly,
  joint,
  simplecil,
  ranpac,
  aper,
  hide_prompt: hidePrompt,
};

export function methodOf(c: Pick<L2PConfig, 'method'>): Method {
  return METHODS[c.method];
}

export type { MethodKept } from './method.ts';
export { phaseObjects } from './method.ts';
export type { EvalSpec, GradientPhase, GraphPlan, GraphRunner, Method, MethodModel, MethodState, Phase, StateArray, StatisticsPhase, StatisticsPass, StepGraph, StepObservation, TrainSpec, TrainTask } from './method.ts';
