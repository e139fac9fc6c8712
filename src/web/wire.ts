// A run's trained state as JSON, between the page and `l2p serve` (export to and import from a CLI
// workdir). Float32 arrays travel as base64 of their little-endian bytes. Browser-safe: both sides use it.
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';

export const WIRE_FORMAT = 'l2p-ts run state';

/** What the page's stored run (src/web/page/run.ts) and the wire share: the run's config and progress. */
export interface RunProgress {
  config: L2PConfig;
  /** Class names by class id (the head's column). */
  classes: string[];
  /** Tasks trained so far. */
  trainedTasks: number;
  globalStep: number;
  images: number;
  elapsed: number;
  /** acc[i][t] in percent, as summary.json's acc_matrix. */
  accMatrix: number[][];
  /** Per task, prompt ids chosen by its test images at the last evaluation. */
  promptUsage: number[][];
}

export interface WireRun extends RunProgress {
  format: typeof WIRE_FORMAT;
  version: 1;
  trained: Record<string, string>;
  optimizer: { kind: 'adam' | 'sgd'; step: number; moments: Record<string, Record<string, string>> };
  /**
   * The examples of the trained tasks, when they are the user's (drawn or dropped in the page): an
   * export writes them as the run's dataset. Absent for the demo's Split MNIST stream.
   */
  tasks?: WireTask[];
}

export interface WireExample {
  label: number;
  height: number;
  width: number;
  channels: number;
  /** base64 of the uint8 pixels, rows of height × width × channels. */
  pixels: string;
}

export interface WireTask {
  classMask: number[];
  train: WireExample[];
  test: WireExample[];
}

/** What the page holds of an example: uint8 pixels and a label. */
export interface PlainExample {
  pixels: { data: Uint8Array; height: number; width: number; channels: number };
  label: number;
}

/** What a learner exposes to be written or restored: its parameters and optimiser state. */
export interface LearnerState {
  params: Map<string, { data: Float32Array }>;
  trainedTensors: Map<string, Float32Array>;
  opt: { kind: 'adam'; state: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> } } | { kind: 'sgd'; state: { step: number; momentum: Map<string, Float32Array> } };
}

export function encodeF32(a: Float32Array): string {
  return encodeBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function encodeBytes(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function decodeF32(s: string, what: string): Float32Array {
  const bytes = decodeBytes(s, what);
  if (bytes.length % 4 !== 0) throw new UserError(`${what} is ${bytes.length} bytes, not a float32 array`);
  return new Float32Array(bytes.buffer);
}

function decodeBytes(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string') throw new UserError(`${what} is missing`);
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new UserError(`${what} is not base64`);
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The page's tasks as the wire carries them. */
export function tasksToWire(tasks: { classMask: number[]; train: PlainExample[]; test: PlainExample[] }[]): WireTask[] {
  const ex = (e: PlainExample): WireExample => ({ label: e.label, height: e.pixels.height, width: e.pixels.width, channels: e.pixels.channels, pixels: encodeBytes(e.pixels.data) });
  return tasks.map((t) => ({ classMask: [...t.classMask], train: t.train.map(ex), test: t.test.map(ex) }));
}

/** Checks and decodes received tasks: labels among `numClasses`, each in its task's class mask. */
export function tasksFromWire(x: unknown, numClasses: number): { classMask: number[]; train: PlainExample[]; test: PlainExample[] }[] {
  if (!Array.isArray(x)) throw new UserError('tasks must be a list');
  return x.map((t: WireTask, i) => {
    const what = `task ${i}`;
    if (typeof t !== 'object' || t === null || !Array.isArray(t.classMask) || !Array.isArray(t.train) || !Array.isArray(t.test)) throw new UserError(`${what} needs classMask, train and test lists`);
    if (t.classMask.length === 0 || !t.classMask.every((k) => Number.isInteger(k) && k >= 0 && k < numClasses)) throw new UserError(`${what}: classMask must list class ids below ${numClasses}`);
    const ex = (e: WireExample, j: number, split: string): PlainExample => {
      const where = `${what} ${split} example ${j}`;
      const dims = [e?.height, e?.width, e?.channels];
      if (!dims.every((d) => Number.isInteger(d) && d > 0 && d <= 4096) || (e.channels !== 1 && e.channels !== 3)) throw new UserError(`${where}: height, width and 1 or 3 channels are required`);
      if (!t.classMask.includes(e.label)) throw new UserError(`${where}: label ${String(e.label)} is not one of the task's classes`);
      const data = decodeBytes(e.pixels, `${where}'s pixels`);
      if (data.length !== e.height * e.width * e.channels) throw new UserError(`${where}: ${data.length} bytes of pixels, ${e.height}×${e.width}×${e.channels} needs ${e.height * e.width * e.channels}`);
      return { label: e.label, pixels: { data, height: e.height, width: e.width, channels: e.channels } };
    };
    return { classMask: [...t.classMask], train: t.train.map((e, j) => ex(e, j, 'train')), test: t.test.map((e, j) => ex(e, j, 'test')) };
  });
}

function moments(l: LearnerState): Record<string, Map<string, Float32Array>> {
  return l.opt.kind === 'adam' ? { m: l.opt.state.m, v: l.opt.state.v } : { momentum: l.opt.state.momentum };
}

export function toWire(
  config: L2PConfig,
  classes: string[],
  trainedTasks: number,
  s: { globalStep: number; images: number; elapsed: number; accMatrix: number[][]; promptUsage: number[][] },
  l: LearnerState,
  tasks?: WireTask[],
): WireRun {
  return {
    ...(tasks ? { tasks } : {}),
    format: WIRE_FORMAT,
    version: 1,
    config,
    classes,
    trainedTasks,
    globalStep: s.globalStep,
    images: s.images,
    elapsed: s.elapsed,
    accMatrix: s.accMatrix.map((r) => r.slice(0, trainedTasks)).slice(0, trainedTasks),
    promptUsage: s.promptUsage.slice(0, trainedTasks),
    trained: Object.fromEntries([...l.trainedTensors].map(([k, v]) => [k, encodeF32(v)])),
    optimizer: {
      kind: l.opt.kind,
      step: l.opt.state.step,
      moments: Object.fromEntries(Object.entries(moments(l)).map(([tag, t]) => [tag, Object.fromEntries([...t].map(([k, v]) => [k, encodeF32(v)]))])),
    },
  };
}

const isMatrix = (x: unknown): x is number[][] => Array.isArray(x) && x.every((r) => Array.isArray(r) && r.every((v) => typeof v === 'number' && Number.isFinite(v)));

/** Checks a received run; `applyTo` copies its arrays into a learner of the same configuration. */
export function fromWire(x: unknown): Omit<WireRun, 'trained' | 'optimizer'> & { applyTo(l: LearnerState): void } {
  const w = x as WireRun;
  if (typeof w !== 'object' || w === null || w.format !== WIRE_FORMAT) throw new UserError(`not an L2P.ts run (no "format": "${WIRE_FORMAT}")`);
  if (w.version !== 1) throw new UserError(`run state version ${String(w.version)} is not supported (this version reads 1)`);
  const t = w.trainedTasks;
  if (!Number.isInteger(t) || t < 0) throw new UserError(`trainedTasks must be a count, got ${String(t)}`);
  if (!isMatrix(w.accMatrix) || w.accMatrix.length !== t || w.accMatrix.some((r) => r.length !== t)) throw new UserError(`accMatrix must be ${t} × ${t} finite numbers`);
  if (!isMatrix(w.promptUsage) || w.promptUsage.length > t || !w.promptUsage.every((r) => r.every((v) => Number.isSafeInteger(v) && v >= 0))) throw new UserError(`promptUsage must be at most ${t} lists of counts`);
  if (!Array.isArray(w.classes) || !w.classes.every((c) => typeof c === 'string')) throw new UserError('classes must be a list of names');
  // A checkpoint is named by its step: a count a file name can spell (no 1e300), as l2p eval reads it.
  for (const k of ['globalStep', 'images'] as const) if (!Number.isSafeInteger(w[k]) || w[k] < 0) throw new UserError(`${k} must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${String(w[k])}`);
  if (typeof w.elapsed !== 'number' || !Number.isFinite(w.elapsed) || w.elapsed < 0) throw new UserError(`elapsed must be a finite number >= 0, got ${String(w.elapsed)}`);
  if (typeof w.trained !== 'object' || w.trained === null || typeof w.optimizer !== 'object' || w.optimizer === null) throw new UserError('the run has no trained parameters or optimiser state');
  const { trained, optimizer, ...rest } = w;
  return {
    ...rest,
    applyTo(l: LearnerState) {
      const put = (into: Float32Array, s: unknown, what: string) => {
        if (typeof s !== 'string') throw new UserError(`${what} is missing`);
        const v = decodeF32(s, what);
        if (v.length !== into.length) throw new UserError(`${what} has ${v.length} values, this model needs ${into.length}`);
        into.set(v);
      };
      for (const [k, p] of l.trainedTensors) put(p, trained[k], `parameter '${k}'`);
      const extra = Object.keys(trained).filter((k) => !l.trainedTensors.has(k));
      if (extra.length > 0) throw new UserError(`parameter '${extra[0]}' is not trained by this configuration`);
      if (optimizer.kind !== l.opt.kind) throw new UserError(`optimiser '${String(optimizer.kind)}' differs from the config's '${l.opt.kind}'`);
      if (!Number.isSafeInteger(optimizer.step) || optimizer.step < 0) throw new UserError(`optimiser step must be a count, got ${String(optimizer.step)}`);
      for (const [tag, tensors] of Object.entries(moments(l))) for (const [k, v] of tensors) put(v, optimizer.moments?.[tag]?.[k], `optimiser moment '${tag}/${k}'`);
      l.opt.state.step = optimizer.step;
    },
  };
}
