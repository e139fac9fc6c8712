// Checkpoints of a run: the changing tensors (trained and fitted parameters, optimiser moments, a
// method's large state arrays as 'method/<name>', float64 kept) in an npz, and
// the loop's position (task, step, data position, accuracy matrix so far) in state.json, which names
// its npz. Both are written atomically, npz first: a kill at any moment leaves the previous pair
// valid, and state.json is only ever read whole.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { NpzReader, writeNpz } from '../io/npz.ts';
import type { NpyArray } from '../io/npy.ts';
import type { PipelineState } from '../data/index.ts';
import { CHECKPOINT_NAME, checkpointName, runFiles, STATE_FILE } from '../rundir/layout.ts';
import { hasState, readState, type StateFile } from '../rundir/state.ts';
import type { Params } from '../vit/params.ts';
import type { OptState } from './learner.ts';
import { isStateArray, type MethodState } from '../methods/method.ts';

/** Where the loop stands; everything needed to continue exactly. */
export interface LoopState {
  /** The task being trained (or the number of tasks once the run has finished). */
  task: number;
  /** Steps finished in the current task (in a task of GradientPhases: in its current phase). */
  stepInTask: number;
  /** A task of GradientPhases: the phases finished (absent: 0, or a task of plain phases). */
  phase?: number;
  /**
   * True when a stop came before the evaluation due after step `stepInTask` had finished: --resume
   * runs it first (absent: false).
   */
  evalPending?: boolean;
  /** Steps finished over the whole run. */
  globalStep: number;
  /** The training pipeline's position in the current task. */
  pipeline: PipelineState | null;
  /** acc[i][t]: accuracy (%) on task i after the evaluation at the end of task t (latest evaluation while t runs). */
  accMatrix: number[][];
  /** Per task: how often each prompt id was selected on its test set at its last evaluation. */
  promptUsage: number[][];
  /** Training metrics gathered since the last evaluation (metrics.jsonl's, at the next one). */
  window: TrainWindow;
  /** Training metrics since TensorBoard's last training scalars (absent in older checkpoints). */
  tbWindow?: TrainWindow;
  /** True once every task has been trained and evaluated. */
  done: boolean;
  /** Seconds of training and evaluation before this checkpoint (summed over resumed sessions). */
  elapsed: number;
  /** Training images processed. */
  images: number;
  /** The method's own state beyond its parameters (e.g. the diversified selection's counts). */
  method?: MethodState;
}

export interface TrainWindow {
  loss: number[];
  correct: number;
  count: number;
  grad: number;
  lr: number;
}

export const emptyWindow = (): TrainWindow => ({ loss: [], correct: 0, count: 0, grad: 0, lr: 0 });

/** A training step's results into the metrics window and TensorBoard's (made on first use), and the run's counters. */
export function addStep(state: Pick<LoopState, 'window' | 'tbWindow' | 'globalStep' | 'images'>, r: { loss: number; correct: number; count: number; gradNorm: number }, lr: number): void {
  for (const w of [state.window, (state.tbWindow ??= emptyWindow())]) {
    w.loss.push(r.loss);
    w.correct += r.correct;
    w.count += r.count;
    w.grad += r.gradNorm;
    w.lr = lr;
  }
  state.globalStep++;
  state.images += r.count;
}

export function checkpointDir(workdir: string): string {
  return runFiles(workdir).checkpoints;
}

/**
 * Writes a checkpoint and keeps the newest `keep` npz files. `loop` is the caller's JSON-safe position,
 * but for its `method` state's arrays, which go to the npz; `fitted` parameters are kept without moments.
 * `tasksDone` names the npz apart from others of the same step (the end of a task that ran no step),
 * as `phase` does within a task of phases (a statistics phase runs no step).
 */
export function saveCheckpoint<S extends { globalStep: number; method?: MethodState }>(workdir: string, params: Params, trained: readonly string[], opt: OptState, loop: S, keep = 2, fitted: readonly string[] = [], tasksDone?: number, phase?: number): void {
  const dir = checkpointDir(workdir);
  mkdirSync(dir, { recursive: true });
  const name = checkpointName(loop.globalStep, tasksDone, phase);
  const arrays = new Map<string, NpyArray>();
  if (loop.method) {
    const tables: MethodState = {};
    for (const [k, v] of Object.entries(loop.method)) {
      if (isStateArray(v)) arrays.set(`method/${k}`, { dtype: v.data instanceof Float64Array ? 'float64' : 'float32', shape: v.shape, data: v.data });
      else tables[k] = v;
    }
    loop = { ...loop, method: tables };
  }
  for (const k of [...trained, ...fitted]) {
    const p = params.get(k)!;
    arrays.set(`params/${k}`, { dtype: 'float32', shape: p.shape, data: p.data });
  }
  const moments: [string, Map<string, Float32Array>][] =
    opt.kind === 'adam' ? [['m', opt.state.m], ['v', opt.state.v]] : [['momentum', opt.state.momentum]];
  for (const [tag, tensors] of moments) {
    for (const k of trained) {
      const t = tensors.get(k)!;
      arrays.set(`opt/${tag}/${k}`, { dtype: 'float32', shape: params.get(k)!.shape, data: t });
    }
  }
  writeNpz(join(dir, name), arrays);
  faultPoint('checkpoint');
  const state: StateFile<S> = { version: 1, npz: name, loop, optimizer: { kind: opt.kind, step: opt.state.step } };
  const previous = keep >= 2 ? previousOf<S>(workdir, name) : undefined;
  if (previous) state.previous = previous;
  writeJsonAtomic(join(dir, STATE_FILE), state);
  const old = readdirSync(dir).filter((f) => CHECKPOINT_NAME.test(f) && f !== name).sort();
  for (const f of old.slice(0, Math.max(0, old.length - (keep - 1)))) rmSync(join(dir, f), { force: true });
}

/** The checkpoint state.json describes now, to keep as the one before `name` (its own previous when it is `name` again). */
function previousOf<S>(workdir: string, name: string): StateFile<S>['previous'] {
  if (!hasState(workdir)) return undefined;
  try {
    const s = readState<S>(workdir);
    return s.npz === name ? s.previous : { npz: s.npz, loop: s.loop, optimizer: s.optimizer };
  } catch {
    return undefined;
  }
}

export function hasCheckpoint(workdir: string): boolean {
  return hasState(workdir);
}

/**
 * Restores parameters and optimiser state in place and returns the loop state. With `fallback`, a
 * newest checkpoint that cannot be read gives way to the one kept before it, and `fallback` is told
 * which and why.
 */
export function loadCheckpoint<S = LoopState>(workdir: string, params: Params, trained: readonly string[], opt: OptState, fallback?: (warning: string) => void, fitted: readonly string[] = []): S {
  const state = readState<S>(workdir);
  const loadPosition = (s: Pick<StateFile<S>, 'npz' | 'loop' | 'optimizer'>) => loadAt(workdir, s, params, trained, opt, fitted);
  try {
    return loadPosition(state);
  } catch (e) {
    const older = state.previous;
    if (!fallback || !older || !(e instanceof UserError || (e as NodeJS.ErrnoException).code)) throw e;
    let loop: S;
    try {
      loop = loadPosition(older);
    } catch {
      throw e;
    }
    const dir = checkpointDir(workdir);
    fallback(`the newest checkpoint '${join(dir, state.npz)}' cannot be read (${(e as Error).message}); resuming from the one before it, '${join(dir, older.npz)}'`);
    return loop;
  }
}

function loadAt<S>(workdir: string, state: Pick<StateFile<S>, 'npz' | 'loop' | 'optimizer'>, params: Params, trained: readonly string[], opt: OptState, fitted: readonly string[]): S {
  const dir = checkpointDir(workdir);
  const file = runFiles(workdir).state;
  if (state.optimizer.kind !== opt.kind) throw new UserError(`'${file}': optimiser '${state.optimizer.kind}' differs from the config's`);
  const npzPath = join(dir, state.npz);
  const npz = NpzReader.open(npzPath);
  try {
    const expected = new Set<string>();
    const take = (key: string, shape: readonly number[], into: Float32Array) => {
      expected.add(key);
      if (!npz.keys().includes(key)) throw new UserError(`'${npzPath}': key '${key}' is missing`);
      const info = npz.info(key);
      if (info.shape.join(',') !== shape.join(',')) {
        throw new UserError(`'${npzPath}': key '${key}' has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
      if (info.dtype !== 'float32') throw new UserError(`'${npzPath}': key '${key}' is ${info.dtype}, expected float32`);
      into.set(npz.read(key).data as Float32Array);
    };
    for (const k of trained) take(`params/${k}`, params.get(k)!.shape, params.get(k)!.data);
    const moments: [string, Map<string, Float32Array>][] =
      opt.kind === 'adam' ? [['m', opt.state.m], ['v', opt.state.v]] : [['momentum', opt.state.momentum]];
    for (const [tag, tensors] of moments) for (const k of trained) take(`opt/${tag}/${k}`, params.get(k)!.shape, tensors.get(k)!);
    for (const k of fitted) take(`params/${k}`, params.get(k)!.shape, params.get(k)!.data);
    const method: MethodState = { ...(state.loop as { method?: MethodState }).method };
    for (const key of npz.keys().filter((k) => k.startsWith('method/'))) {
      const a = npz.read(key);
      if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) throw new UserError(`'${npzPath}': key '${key}' is ${a.dtype}, expected float32 or float64`);
      method[key.slice('method/'.length)] = { shape: a.shape, data: a.data };
      expected.add(key);
    }
    const extra = npz.keys().filter((k) => !expected.has(k));
    if (extra.length > 0) throw new UserError(`'${npzPath}': unexpected key '${extra[0]}' (this run trains ${trained.length} tensors)`);
    opt.state.step = state.optimizer.step;
    return Object.keys(method).length > 0 ? { ...state.loop, method } : state.loop;
  } finally {
    npz.close();
  }
}
