// Class-wise mean and covariance for HiDe-Prompt's 'covariance' and 'variance' storage
// (engines/hide_promtp_wtp_and_tap_engine.py:_compute_mean): the official code gathers a class's
// pre_logits and calls torch.cov (unbiased, n − 1) and adds 1e-4·I; 'variance' keeps that matrix's
// diagonal. Here the moments accumulate batch by batch in float64 about a per-class shift (the class's
// first row), so no class's features need to be held and the sums do not cancel catastrophically.
import { UserError } from '../../errors.ts';
import { checkFeatures } from './features.ts';

/** The official ridge on every stored covariance: torch.eye(D) · 1e-4. */
export const COV_EPS = 1e-4;

interface Acc {
  n: number;
  shift: Float64Array; // [D]
  s1: Float64Array; // Σ (x − shift)       [D]
  s2: Float64Array; // Σ (x − shift)(x − shift)ᵀ, upper triangle filled  [D, D]
}

export interface ClassGaussian {
  mean: Float64Array; // [D]
  /** 'covariance': [D, D] row-major; 'variance': its diagonal [D]. Both include + 1e-4 on the diagonal. */
  cov: Float64Array;
  count: number;
}

export class ClassMoments {
  private readonly acc = new Map<number, Acc>();

  constructor(readonly dim: number) {}

  /** Adds a batch: features [n, D] row-major, labels [n]. `source` names the batch in error messages. */
  add(features: ArrayLike<number>, labels: ArrayLike<number>, source = 'features'): void {
    const d = this.dim;
    checkFeatures(features, labels, d, source);
    const y = new Float64Array(d);
    for (let r = 0; r < labels.length; r++) {
      let a = this.acc.get(labels[r]);
      if (!a) {
        a = { n: 0, shift: Float64Array.from({ length: d }, (_, j) => features[r * d + j]), s1: new Float64Array(d), s2: new Float64Array(d * d) };
        this.acc.set(labels[r], a);
      }
      for (let j = 0; j < d; j++) y[j] = features[r * d + j] - a.shift[j];
      a.n += 1;
      for (let i = 0; i < d; i++) {
        a.s1[i] += y[i];
        const yi = y[i];
        if (yi === 0) continue;
        const row = i * d;
        for (let j = i; j < d; j++) a.s2[row + j] += yi * y[j];
      }
    }
  }

  classes(): number[] {
    return [...this.acc.keys()].sort((a, b) => a - b);
  }

  count(cls: number): number {
    return this.acc.get(cls)?.n ?? 0;
  }

  /** The stored statistics of `cls` as the official 'covariance' or 'variance' storage keeps them. */
  stats(cls: number, kind: 'covariance' | 'variance'): ClassGaussian {
    const a = this.acc.get(cls);
    const d = this.dim;
    if (!a) throw new UserError(`class statistics: class ${cls} has no examples`);
    if (a.n < 2) throw new UserError(`class statistics: class ${cls} has ${a.n} example; its covariance (torch.cov, n − 1 in the denominator) is undefined, so HiDe-Prompt needs at least 2 per class`);
    const m = Float64Array.from(a.s1, (s) => s / a.n); // mean of the shifted rows
    const mean = Float64Array.from(m, (v, j) => v + a.shift[j]);
    const scale = 1 / (a.n - 1);
    if (kind === 'variance') {
      const cov = Float64Array.from({ length: d }, (_, i) => (a.s2[i * d + i] - a.n * m[i] * m[i]) * scale + COV_EPS);
      return { mean, cov, count: a.n };
    }
    const cov = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const c = (a.s2[i * d + j] - a.n * m[i] * m[j]) * scale;
        cov[i * d + j] = c;
        cov[j * d + i] = c;
      }
      cov[i * d + i] += COV_EPS;
    }
    return { mean, cov, count: a.n };
  }
}
