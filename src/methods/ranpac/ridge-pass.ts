// RanPAC's statistics and fit (RanPAC.py replace_fc with use_RP): each task's projected features H
// [n, M] and one-hot labels add HᵀH to G and HᵀY to Q (float64, over every task so far); the task's
// rows, in the official loader's shuffled order, choose λ (optimise_ridge_parameter: fit on the first
// 80 %, score the rest); then Wo = ((G + λI)⁻¹ Q)ᵀ over all C classes. A class not yet seen has a
// zero column of Q, so its row of Wo is zero, as the official head, which has only the seen rows.
import { UserError } from '../../errors.ts';
import { chooseRidge, firstNonFinite, ridgeHead, type Products, type RidgeChoice, type RidgeStats } from '../../linalg/index.ts';
import { mulberry32 } from '../../random.ts';
import type { Params } from '../../vit/params.ts';
import type { StatisticsPass } from '../method.ts';

/**
 * The order train_loader_for_CPs (shuffle=True) gives task t's rows: a Fisher–Yates permutation of
 * the pass's order, from mulberry32 on the run's seed and the task. Not torch's stream (the split
 * point matters to λ, the sums to nothing).
 */
export function loaderOrder(n: number, seed: number, t: number): Int32Array {
  const next = mulberry32((Math.imul(seed, 0x9e3779b1) + t) >>> 0);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

export interface RidgeFit {
  choice: RidgeChoice;
  /** Wo [C, M]. */
  wo: Float32Array;
  /** The choice's notice as one line naming the task (the grid's edge, a class on one side of the split), or null. */
  notice: string | null;
}

/** Adds task rows h [n, M] (in the given order) to `stats`, chooses λ on them and solves the head. */
export async function fitRidge(stats: RidgeStats, h: Float32Array, labels: Int32Array, products: Products, t: number): Promise<RidgeFit> {
  const { M, C } = stats;
  // λ first: a task it refuses leaves G and Q as they were.
  const choice = await chooseRidge(h, labels, M, C, products);
  await stats.add(h, labels, `of task ${t}`);
  const wo = await ridgeHead(stats, choice.lambda, C);
  return { choice, wo, notice: choice.notice && `task ${t}: ${choice.notice}` };
}

export interface RidgePassHost {
  stats: RidgeStats;
  products: Products;
  seed: number;
  /** The fit's outcome (λ, its losses, a notice) for the run's state and log. */
  fitted(t: number, fit: RidgeFit): void;
}

export function ridgePass(t: number, host: RidgePassHost): StatisticsPass {
  const { M } = host.stats;
  const rows: Float32Array[] = [];
  const ys: Int32Array[] = [];
  return {
    add(features, labels) {
      const bad = firstNonFinite(features, M);
      if (bad) throw new UserError(`task ${t}: the projected feature [${bad.row}, ${bad.col}] of a training example (class ${labels[bad.row]}) is ${bad.value}; G and Q are left as they were`);
      rows.push(features.slice());
      ys.push(labels.slice());
    },
    async finish(params: Params) {
      const n = ys.reduce((a, y) => a + y.length, 0);
      const all = new Float32Array(n * M); // [n, M] in the pass's order
      const labels = new Int32Array(n);
      let at = 0;
      rows.forEach((r, b) => {
        all.set(r, at * M);
        labels.set(ys[b], at);
        at += ys[b].length;
      });
      const order = loaderOrder(n, host.seed, t);
      const h = new Float32Array(n * M); // [n, M] in the loader's order
      const y = new Int32Array(n);
      order.forEach((src, dst) => {
        h.set(all.subarray(src * M, (src + 1) * M), dst * M);
        y[dst] = labels[src];
      });
      const fit = await fitRidge(host.stats, h, y, host.products, t);
      params.get('head/kernel')!.data.set(fit.wo);
      host.fitted(t, fit);
    },
  };
}
