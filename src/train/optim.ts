// Optimisers on plain arrays: the trained tensors are small (prompts, keys, head), and for full
// fine-tuning one pass over 86M floats per step is cheap next to the step's forward and backward.

export type Tensors = Map<string, Float32Array>;

export interface ClipResult {
  /** Global L2 norm over every gradient given. */
  norm: number;
  /** The factor applied: min(1, maxNorm / (norm + 1e-6)). */
  factor: number;
}

/**
 * Scales all gradients in place so their global norm is at most `maxNorm` (null: no clipping).
 * `otherSquares` is the summed squares of gradients that count toward the norm but are not given
 * (the frozen parameters', under grad_clip_scope 'all').
 */
export function clipByGlobalNorm(grads: Tensors, maxNorm: number | null, otherSquares = 0): ClipResult {
  let sq = otherSquares;
  for (const gr of grads.values()) for (let i = 0; i < gr.length; i++) sq += gr[i] * gr[i];
  const norm = Math.sqrt(sq);
  const factor = maxNorm === null || maxNorm <= 0 ? 1 : Math.min(1, maxNorm / (norm + 1e-6));
  if (factor !== 1) for (const gr of grads.values()) for (let i = 0; i < gr.length; i++) gr[i] *= factor;
  return { norm, factor };
}

export interface AdamState {
  step: number;
  m: Tensors;
  v: Tensors;
}

export interface AdamConfig {
  beta1: number;
  beta2: number;
  eps: number;
  /** flax.optim.Adam's weight decay: p -= lr · wd · p, on the parameter before this step's update. */
  weightDecay?: number;
  /** Factors of lr by path (parameter groups); a path not in it steps at lr. */
  lrScale?: ReadonlyMap<string, number>;
}

export function adamInit(params: Tensors): AdamState {
  const zeros = () => new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)] as const));
  return { step: 0, m: zeros(), v: zeros() };
}

/**
 * One bias-corrected Adam step (eps outside the square root), in place, as flax.optim.Adam:
 * p ← p − lr · (m̂ / (√v̂ + eps) + wd · p).
 */
export function adamStep(params: Tensors, grads: Tensors, state: AdamState, lr: number, c: AdamConfig): void {
  state.step += 1;
  const t = state.step;
  const bc1 = 1 - Math.pow(c.beta1, t);
  const bc2 = 1 - Math.pow(c.beta2, t);
  const wd = c.weightDecay ?? 0;
  for (const [k, p] of params) {
    const gr = grads.get(k);
    if (!gr) throw new Error(`adam: no gradient for '${k}'`);
    const m = state.m.get(k)!;
    const v = state.v.get(k)!;
    const lrK = lr * (c.lrScale?.get(k) ?? 1);
    for (let i = 0; i < p.length; i++) {
      const gi = gr[i];
      const mi = c.beta1 * m[i] + (1 - c.beta1) * gi;
      const vi = c.beta2 * v[i] + (1 - c.beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= lrK * (mi / bc1 / (Math.sqrt(vi / bc2) + c.eps) + wd * p[i]);
    }
  }
}

export interface SgdState {
  step: number;
  momentum: Tensors;
}

export function sgdInit(params: Tensors): SgdState {
  return { step: 0, momentum: new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)] as const)) };
}

/**
 * SGD with (Nesterov) momentum, as flax.optim.Momentum without weight decay (the official 'sgd'
 * decays through the L2 term of the loss): v = μv + g; p -= lr·(g + μv) or lr·v.
 */
export function sgdStep(params: Tensors, grads: Tensors, state: SgdState, lr: number, mu: number, nesterov: boolean): void {
  state.step += 1;
  for (const [k, p] of params) {
    const gr = grads.get(k)!;
    const v = state.momentum.get(k)!;
    for (let i = 0; i < p.length; i++) {
      v[i] = mu * v[i] + gr[i];
      p[i] -= lr * (nesterov ? gr[i] + mu * v[i] : v[i]);
    }
  }
}
