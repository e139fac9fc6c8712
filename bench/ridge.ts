// RanPAC's closed-form costs at M = 2,000 / 5,000 / 10,000, side by side in one run: one chunk of
// the Gram accumulation (the engine's float32 HᵀH [M, M] and the float64 sum into G), the float64
// solve (G + λI)⁻¹Q by the blocked Cholesky with float64 Gemm updates on ONNX Runtime (and by the
// host-only Cholesky up to --host-up-to), ONNX Runtime's own float64 Gemm rate on the update's
// shape, and the official λ choice on one task's rows. Ratios compare rates measured a moment apart.
//
//   npx tsx bench/ridge.ts [--sizes 2000,5000,10000] [--classes 100] [--rows 1024] [--task 2500] [--host-up-to 2000]
import { parseArgs } from 'node:util';
import { chooseRidge, EngineProducts, hostCholesky, RidgeStats, solveShifted, type Cholesky } from '../src/linalg/index.ts';
import { disposeAll, openGemm64 } from '../src/runtime/ort.ts';
import { mulberry32 } from '../src/random.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2000,5000,10000' },
    classes: { type: 'string', default: '100' },
    rows: { type: 'string', default: '1024' },
    task: { type: 'string', default: '2500' },
    'host-up-to': { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
  },
});
const C = Number(values.classes);
const rows = Number(values.rows);
const taskRows = Number(values.task);
const BLOCK = 256;
const secs = (t0: number) => (performance.now() - t0) / 1000;
const log = (s: string) => values.json || console.log(s);

/** Features as RanPAC's head sees them: ReLU of Gaussian-like values, [n, M]. */
function features(seed: number, n: number, M: number): { h: Float32Array; labels: Int32Array } {
  const r = mulberry32(seed);
  const h = Float32Array.from({ length: n * M }, () => Math.max(0, r() + r() + r() - 1.5));
  return { h, labels: Int32Array.from({ length: n }, (_, i) => i % C) };
}

/** Seconds for (G + λI)⁻¹Q by `factor`, and the relative residual ‖(G + λI)X − Q‖∞ / ‖Q‖∞ in float64. */
async function timedSolve(chol: Cholesky, G: Float64Array, Q: Float64Array, M: number, lambda: number): Promise<{ s: number; residual: number }> {
  const t0 = performance.now();
  const x = await solveShifted(chol, G, M, lambda, Q, C, 'G');
  const s = secs(t0);
  let res = 0;
  let qmax = 0;
  for (let i = 0; i < M; i += 97) { // a sample of rows: the full residual costs as much as the solve
    for (let c = 0; c < C; c++) {
      let v = lambda * x[i * C + c] - Q[i * C + c];
      for (let k = 0; k < M; k++) v += (i <= k ? G[i * M + k] : G[k * M + i]) * x[k * C + c];
      res = Math.max(res, Math.abs(v));
      qmax = Math.max(qmax, Math.abs(Q[i * C + c]));
    }
  }
  return { s, residual: res / qmax };
}

const results: Record<string, number | null>[] = [];
for (const M of values.sizes.split(',').map(Number)) {
  const products = new EngineProducts({}, BLOCK);
  const stats = new RidgeStats(M, C, products, rows);
  const { h, labels } = features(M, rows, M);
  await stats.add(h, labels, 'warm-up'); // a full chunk: compiles the session and runs once
  let t0 = performance.now();
  await stats.add(h, labels, 'timed');
  const accumulate = secs(t0);
  t0 = performance.now();
  await products.tn(h, h, rows, M, M);
  const f32Rate = (2 * rows * M * M) / secs(t0) / 1e9;
  // ONNX Runtime's float64 Gemm on the middle block column's update: [M/2, M/2] · [M/2, BLOCK].
  const half = M / 2;
  const gemm = await openGemm64(BLOCK, { a: false, b: true });
  const pa = Float64Array.from({ length: half * half }, (_, i) => (i % 13) / 13);
  const c0 = new Float64Array(half * BLOCK);
  await gemm.run(pa, pa.subarray(0, BLOCK * half), c0, half, half);
  t0 = performance.now();
  await gemm.run(pa, pa.subarray(0, BLOCK * half), c0, half, half);
  const f64Rate = (2 * half * half * BLOCK) / secs(t0) / 1e9;
  await gemm.dispose();
  // A well-conditioned system of G's size: one chunk's Gram is rank-deficient, so its diagonal is raised.
  for (let i = 0; i < M; i++) stats.G[i * M + i] += M;
  const flops = M ** 3 / 3 + 2 * M * M * C;
  const engine = await timedSolve(products.cholesky, stats.G, stats.Q, M, 1e3);
  const host = M <= Number(values['host-up-to']) ? await timedSolve(hostCholesky, stats.G, stats.Q, M, 1e3) : null;
  const task = features(M + 1, taskRows, M);
  t0 = performance.now();
  const choice = await chooseRidge(task.h, task.labels, M, C, products);
  const lambdaS = secs(t0);
  await products.dispose();
  const size = choice.form === 'primal' ? M : Math.trunc(taskRows * 0.8);
  const row = {
    M,
    accumulate_s: accumulate,
    f32_matmul_gflops: f32Rate,
    f64_gemm_gflops: f64Rate,
    solve_s: engine.s,
    solve_gflops: flops / engine.s / 1e9,
    solve_share_of_f64_gemm: flops / engine.s / 1e9 / f64Rate,
    residual: engine.residual,
    host_solve_s: host?.s ?? null,
    host_residual: host?.residual ?? null,
    lambda_choice_s: lambdaS,
    lambda_system: size,
  };
  results.push(row);
  log(
    `M=${M}: accumulate ${rows} rows ${accumulate.toFixed(2)} s (float32 HᵀH ${f32Rate.toFixed(1)} GFLOP/s); ` +
      `solve ${engine.s.toFixed(1)} s = ${row.solve_gflops.toFixed(2)} GFLOP/s, ${row.solve_share_of_f64_gemm.toFixed(2)} of ORT's float64 Gemm (${f64Rate.toFixed(1)} GFLOP/s), residual ${engine.residual.toExponential(1)}` +
      (host ? `; host-only Cholesky ${host.s.toFixed(1)} s (${(host.s / engine.s).toFixed(1)}× the blocked one), residual ${host.residual.toExponential(1)}` : '') +
      `; λ choice on ${taskRows} rows (${choice.form}, 17 systems of ${size}) ${lambdaS.toFixed(1)} s`,
  );
}
if (values.json) console.log(JSON.stringify(results));
await disposeAll();
