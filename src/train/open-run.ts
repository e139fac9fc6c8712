// Opens a finished or partial run from its workdir: the config it ran with, its backbone, and a
// learner holding the parameters of its latest checkpoint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseL2PConfig, type L2PConfig } from '../config/l2p.ts';
import { numTotalClasses } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import { hasCheckpoint, loadCheckpoint, type LoopState } from './checkpoint.ts';
import { backboneFor, createLearner } from './experiment.ts';
import type { Learner } from './learner.ts';
import { CONFIG_FILE } from '../rundir/layout.ts';

export interface OpenedRun {
  config: L2PConfig;
  learner: Learner;
  state: LoopState;
}

export function openRun(workdir: string, runtime: RuntimeOptions = {}, override?: Partial<L2PConfig>): OpenedRun {
  const file = join(workdir, CONFIG_FILE);
  if (!existsSync(file)) throw new UserError(`'${workdir}' holds no run (no ${CONFIG_FILE})`);
  if (!hasCheckpoint(workdir)) throw new UserError(`'${workdir}' has no checkpoint yet: the run has not finished its first evaluation`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
  const config = parseL2PConfig({ ...(raw as object), ...override });
  const backbone = backboneFor(config, () => {});
  const learner = createLearner(config, backbone, numTotalClasses(config), runtime);
  const state = loadCheckpoint(workdir, learner.params, [...learner.trainedTensors.keys()], learner.opt, undefined, learner.fitted);
  learner.model.loadState?.(state.method);
  return { config, learner, state };
}
