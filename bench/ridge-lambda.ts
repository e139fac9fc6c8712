// RanPAC's λ choice (17 λ on one task's rows) two ways on the same products, side by side per M:
// one Householder reduction of the fit rows' Gram matrix to tridiagonal form serving every λ
// (chooseRidge's 'reduction', src/linalg/tridiagonal.ts), and one float64 Cholesky factorisation per
// λ (its 'factorisations': the blocked engine Cholesky), with the λ each picks and the largest relative
// difference of their 17 losses where the system is well conditioned (λ ≥ 1e-2 here).
//
//   npx tsx bench/ridge-lambda.ts [--sizes 1000,4000] [--classes 100] [--rows-per-M 1.5] [--threads N]
import { parseArgs } from 'node:util';
import { chooseRidge, EngineProducts, RIDGE_GRID } from '../src/linalg/index.ts';
import { disposeAll } from '../src/runtime/ort.ts';
import { mulberry32 } from '../src/random.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,4000' },
    classes: { type: 'string', default: '100' },
    'rows-per-M': { type: 'string', default: '1.5' },
    threads: { type: 'string', default: '0' },
  },
});
const C = Number(values.classes);
const secs = (t0: number) => (performance.now() - t0) / 1000;

/** Class means plus noise through ReLU, [n, M]: RanPAC-like features whose λ choice is inside the grid. */
function features(seed: number, n: number, M: number): { h: Float32Array; labels: Int32Array } {
  const r = mulberry32(seed);
  const means = Float32Array.from({ length: C * M }, () => r() - 0.5);
  const labels = Int32Array.from({ length: n }, (_, i) => i % C);
  const h = Float32Array.from({ length: n * M }, (_, k) => Math.max(0, means[labels[Math.floor(k / M)] * M + (k % M)] + 2 * (r() + r() + r() - 1.5)));
  return { h, labels };
}

const argmin = (l: number[]) => l.reduce((best, v, k) => (v < l[best] ? k : best), 0);
const threads = Number(values.threads);
for (const M of values.sizes.split(',').map(Number)) {
  const n = Math.round(M * Number(values['rows-per-M']));
  const { h, labels } = features(M, n, M);
  const products = new EngineProducts({ threads });
  await products.tn(h.subarray(0, 8 * M), h.subarray(0, 8 * M), 8, M, M); // compiles a session of another shape: warms ORT
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const one = await chooseRidge(h, labels, M, C, products, 'reduction');
  const oneS = secs(t0);
  const oneCpu = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  const cpu1 = process.cpuUsage();
  t0 = performance.now();
  const each = (await chooseRidge(h, labels, M, C, products, 'factorisations')).losses;
  const eachS = secs(t0);
  const eachCpu = (process.cpuUsage(cpu1).user + process.cpuUsage(cpu1).system) / 1e6;
  // The fit rows' Gram product both ways start with, once more on its own.
  const nFit = Math.trunc(n * 0.8);
  const hFit = h.subarray(0, nFit * M);
  t0 = performance.now();
  if (one.form === 'primal') await products.tn(hFit, hFit, nFit, M, M);
  else await products.nt(hFit, hFit, nFit, nFit, M);
  const gramS = secs(t0);
  await products.dispose();
  let rel = 0;
  RIDGE_GRID.forEach((lambda, k) => {
    if (lambda >= 1e-2) rel = Math.max(rel, Math.abs(one.losses[k] - each[k]) / each[k]);
  });
  console.log(
    `M=${M}, ${n} rows (${one.form}, systems of ${one.form === 'primal' ? M : Math.trunc(n * 0.8)}): one reduction ${oneS.toFixed(1)} s (CPU ${oneCpu.toFixed(1)} s), ` +
      `17 factorisations ${eachS.toFixed(1)} s (CPU ${eachCpu.toFixed(1)} s), ${(eachS / oneS).toFixed(1)}×; both include the Gram product, ${gramS.toFixed(1)} s alone; λ ${one.lambda} vs ${RIDGE_GRID[argmin(each)]}; losses (λ ≥ 1e-2) within ${rel.toExponential(1)}`,
  );
}
await disposeAll();
