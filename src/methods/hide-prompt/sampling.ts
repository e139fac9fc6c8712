// Drawing pseudo-features from stored class Gaussians, as torch.distributions.MultivariateNormal
// does in the official classifier alignment (engines/hide_promtp_wtp_and_tap_engine.py:
// train_task_adaptive_prediction): x = μ + L·ε with L the lower Cholesky factor of the covariance
// and ε standard normal. The noise is an argument, so a test can feed torch's and compare exactly;
// `standardNormal` draws it from the pipeline's generator (src/data/rng.ts).
import { UserError } from '../../errors.ts';
import type { Rng } from '../../data/rng.ts';

/** A Gaussian component: its label, mean [D] and scale (a full lower factor [D, D] or a diagonal [D]). */
export interface Component {
  label: number;
  mean: Float64Array;
  scale: { kind: 'tril'; l: Float64Array } | { kind: 'diag'; s: Float64Array };
}

/** The lower Cholesky factor of a symmetric positive-definite [D, D] matrix. */
export function choleskyLower(a: Float64Array, d: number, what: string): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= l[j * d + k] ** 2;
    if (!(s > 0)) throw new UserError(`${what}: covariance is not positive definite (pivot ${j} is ${s})`);
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = t / ljj;
    }
  }
  return l;
}

/** A component from a full covariance [D, D] ('covariance' storage: the 1e-4 ridge is already in it). */
export function fromCovariance(label: number, mean: Float64Array, cov: Float64Array): Component {
  const d = mean.length;
  return { label, mean, scale: { kind: 'tril', l: choleskyLower(cov, d, `class ${label}`) } };
}

/** A component with covariance diag(variance) + ridge: 'variance' (ridge 0, already added) and 'multi-centroid' (ridge 1e-4). */
export function fromVariance(label: number, mean: Float64Array, variance: Float64Array, ridge: number): Component {
  return { label, mean, scale: { kind: 'diag', s: Float64Array.from(variance, (v) => Math.sqrt(v + ridge)) } };
}

/** `count` samples [count, D] of `c` from noise ε [count, D]. */
export function sampleComponent(c: Component, count: number, noise: ArrayLike<number>): Float32Array {
  const d = c.mean.length;
  if (noise.length !== count * d) throw new Error(`sampleComponent: ${noise.length} noise values for ${count} × ${d}`);
  const out = new Float32Array(count * d);
  for (let r = 0; r < count; r++) {
    const e = r * d;
    for (let i = 0; i < d; i++) {
      let v = c.mean[i];
      if (c.scale.kind === 'diag') v += c.scale.s[i] * noise[e + i];
      else for (let k = 0; k <= i; k++) v += c.scale.l[i * d + k] * noise[e + k];
      out[e + i] = v;
    }
  }
  return out;
}

/** Standard normal draws (Box–Muller on two uniforms in (0, 1]) into `out`. */
export function standardNormal(rng: Rng, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.float()));
    const t = 2 * Math.PI * rng.float();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
