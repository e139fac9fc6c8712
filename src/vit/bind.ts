// Turns stored parameters into graph tensors. Trainability is data: paths matching a frozen pattern
// become constants (initializers the gradient walk never enters), the rest become fed inputs.
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import type { ParamFn } from './model.ts';
import type { Params } from './params.ts';

/** Glob-like patterns over '/'-separated paths: '*' matches within a segment, '**' across; a bare prefix matches below it. */
export function matchesPattern(path: string, pattern: string): boolean {
  if (!pattern.includes('*')) return path === pattern || path.startsWith(pattern.endsWith('/') ? pattern : `${pattern}/`);
  const re = pattern
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${re}$`).test(path);
}

export interface Bound {
  p: ParamFn;
  /** The trained parameters in first-use order: feed these, and take gradients toward them. */
  trained: Tensor[];
  /** Every parameter the graph used, trained or frozen, by path. */
  used: Map<string, Tensor>;
}

/** `isTrained(path)` decides per path; tensors are created once per path. */
export function bindParams(params: Params, isTrained: (path: string) => boolean): Bound {
  const made = new Map<string, Tensor>();
  const trained: Tensor[] = [];
  const p: ParamFn = (path) => {
    const hit = made.get(path);
    if (hit) return hit;
    const v = params.get(path);
    if (!v) throw new Error(`parameter '${path}' is not loaded`);
    const t = isTrained(path) ? g.input(path, v.shape) : g.constant(v.data, v.shape, path);
    if (t.op === 'input') trained.push(t);
    made.set(path, t);
    return t;
  };
  return { p, trained, used: made };
}
