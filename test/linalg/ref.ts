// Runs scripts/golden/ranpac_ref.py (NumPy float64 and torch float32, following the official code)
// on features made here, and makes the features: class means plus noise through a random projection
// and ReLU, as RanPAC's head sees them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomProjection } from '../../src/linalg/index.ts';
import { mulberry32 } from '../../src/random.ts';

export interface RefTask {
  losses: number[];
  argmin: number;
  conds: number[];
  torch_losses: number[] | null;
  torch_argmin: number | null;
}

export interface RefOut {
  tasks: RefTask[];
  G: Float64Array;
  Q: Float64Array;
  Wo: Float64Array;
}

export function runReference(h: Float32Array, labels: Int32Array, M: number, C: number, tasks: [number, number][], torch = true): RefOut {
  const dir = mkdtempSync(join(tmpdir(), 'ranpac-ref-'));
  try {
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ n: labels.length, M, C, tasks, torch }));
    writeFileSync(join(dir, 'h.f32'), h);
    writeFileSync(join(dir, 'labels.i32'), labels);
    execFileSync('/usr/bin/python3', ['scripts/golden/ranpac_ref.py', dir], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // One BLAS thread: on a shared 2-core machine more threads only contend.
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    const f64 = (name: string) => {
      const b = readFileSync(join(dir, name));
      return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    return { tasks: JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')), G: f64('G.f64'), Q: f64('Q.f64'), Wo: f64('Wo.f64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * n examples of C classes (labels cycling, so every class has several) in d dimensions: a class mean
 * plus `noise`·N(0, 1), projected to M by randomProjection(seed) and put through ReLU. Returns h [n, M].
 */
export function ranpacFeaturesHost(seed: number, n: number, d: number, M: number, C: number, noise: number): { h: Float32Array; labels: Int32Array } {
  const next = mulberry32(seed ^ 0x5bd1e995);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const means = Float64Array.from({ length: C * d }, normal);
  const labels = Int32Array.from({ length: n }, () => Math.floor(next() * C));
  for (let c = 0; c < C; c++) labels[c] = c; // every class present
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k] = means[labels[i] * d + k] + noise * normal();
  const w = randomProjection(seed, d, M);
  const h = new Float32Array(n * M);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const v = x[i * d + k];
      for (let j = 0; j < M; j++) h[i * M + j] += v * w[k * M + j];
    }
    for (let j = 0; j < M; j++) h[i * M + j] = Math.max(0, h[i * M + j]);
  }
  return { h, labels };
}

/** max |a − b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
