// A run's trained state as JSON, between the page and `l2p serve` (export to and import from a CLI
// workdir). Float32 arrays travel as base64 of their little-endian bytes. Browser-safe: both sides use it.
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';

export const WIRE_FORMAT = 'l2p-ts run state';

export interface WireRun {
  format: typeof WIRE_FORMAT;
  version: 1;
  config: L2PConfig;
  classes: string[];
  trainedTasks: number;
  globalStep: number;
  images: number;
  elapsed: number;
  accMatrix: number[][];
  promptUsage: number[][];
  trained: Record<string, string>;
  optimizer: { kind: 'adam' | 'sgd'; step: number; moments: Record<string, Record<string, string>> };
}

/** What a learner exposes to be written or restored: its parameters and optimiser state. */
export interface LearnerState {
  params: Map<string, { data: Float32Array }>;
  trainedTensors: Map<string, Float32Array>;
  opt: { kind: 'adam'; state: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> } } | { kind: 'sgd'; state: { step: number; momentum: Map<string, Float32Array> } };
}

export function encodeF32(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function decodeF32(s: string, what: string): Float32Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new UserError(`${what} is not base64`);
  }
  if (bin.length % 4 !== 0) throw new UserError(`${what} is ${bin.length} bytes, not a float32 array`);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
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
): WireRun {
  return {
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
  if (!isMatrix(w.promptUsage)) throw new UserError('promptUsage must be lists of counts');
  if (!Array.isArray(w.classes) || !w.classes.every((c) => typeof c === 'string')) throw new UserError('classes must be a list of names');
  for (const k of ['globalStep', 'images', 'elapsed'] as const) if (typeof w[k] !== 'number' || !(w[k] >= 0)) throw new UserError(`${k} must be a number >= 0`);
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
      if (!Number.isInteger(optimizer.step) || optimizer.step < 0) throw new UserError('optimiser step must be a count');
      for (const [tag, tensors] of Object.entries(moments(l))) for (const [k, v] of tensors) put(v, optimizer.moments?.[tag]?.[k], `optimiser moment '${tag}/${k}'`);
      l.opt.state.step = optimizer.step;
    },
  };
}
