// RanPAC's frozen random projection: W_rand [d, M] with standard-normal entries (the official
// `torch.randn(in_features, M)`), then ReLU of features times W_rand. M = 0 means no projection: the
// head reads the backbone's features themselves (the official `M: 0` rows, "decorrelation only").
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import { mulberry32 } from '../random.ts';

/**
 * W_rand [d, M], row-major, entries N(0, 1) drawn by Box–Muller from src/random.ts's mulberry32
 * seeded with `seed`: the same seed gives the same matrix on every machine. Not torch's stream (no
 * JS port of it exists here); only the distribution matters to the method.
 */
export function randomProjection(seed: number, d: number, M: number): Float32Array {
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(M) || M < 1) {
    throw new RangeError(`randomProjection: d and M must be positive integers, got d=${d}, M=${M}`);
  }
  const next = mulberry32(seed);
  const w = new Float32Array(d * M); // [d, M]
  for (let i = 0; i < w.length; i += 2) {
    // 1 − u lies in (0, 1]: log never sees 0.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const t = 2 * Math.PI * next();
    w[i] = r * Math.cos(t);
    if (i + 1 < w.length) w[i + 1] = r * Math.sin(t);
  }
  return w;
}

/**
 * The features the ridge head reads: relu(x @ wRand) [B, M] for x [B, d] and wRand [d, M], or x
 * itself when wRand is null (M = 0). The official head (CosineLinear with use_RP) then returns
 * logits = features @ Wo [C, M]ᵀ, times sigma, which stays 1 since the head is never trained.
 */
export function ranpacFeatures(x: Tensor, wRand: Tensor | null): Tensor {
  if (wRand === null) return x;
  return g.maximum(g.matmul(x, wRand), 0); // [B, M]
}

/** The head's logits [B, C] for features h [B, M] and the solved weight wo [C, M]. */
export function ranpacLogits(h: Tensor, wo: Tensor): Tensor {
  return g.matmul(h, g.swapLast(wo)); // [B, M] @ [M, C]
}
