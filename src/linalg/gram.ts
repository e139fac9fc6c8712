// RanPAC's running statistics over every task so far: G = Σ HᵀH [M, M] and Q = Σ HᵀY [M, C] for
// features H [n, M] (after projection and ReLU) and one-hot labels Y [n, C]. The products run on
// the engine in float32 over chunks of rows; the chunks are summed here in float64.
import { UserError } from '../errors.ts';
import type { Products } from './products.ts';

/** Where a feature matrix first holds a value that is not finite, or null. */
export function firstNonFinite(h: ArrayLike<number>, cols: number): { row: number; col: number; value: number } | null {
  for (let i = 0; i < h.length; i++) {
    if (!Number.isFinite(h[i])) return { row: Math.floor(i / cols), col: i % cols, value: h[i] };
  }
  return null;
}

/** Checks labels against C classes; a UserError names the batch, the row and the label. */
export function checkLabels(labels: ArrayLike<number>, n: number, C: number, batch: string): void {
  if (labels.length !== n) throw new UserError(`batch ${batch}: ${labels.length} labels for ${n} feature rows`);
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= C) {
      throw new UserError(`batch ${batch}: label ${y} in row ${r} is not a class in 0…${C - 1}`);
    }
  }
}

/** Checks one batch of features [n, M]; a UserError names the batch and where the bad value is. */
export function checkFeatures(h: Float32Array, M: number, batch: string): number {
  if (h.length % M !== 0) throw new UserError(`batch ${batch}: ${h.length} feature values are not rows of M = ${M}`);
  const bad = firstNonFinite(h, M);
  if (bad) {
    throw new UserError(`batch ${batch}: feature [${bad.row}, ${bad.col}] is ${bad.value}; G and Q are left as they were`);
  }
  return h.length / M;
}

export class RidgeStats {
  /** Σ HᵀH [M, M]: only the upper triangle (diagonal included) holds it; the lower is solver scratch. */
  readonly G: Float64Array;
  /** Σ HᵀY [M, C]. */
  readonly Q: Float64Array;
  /** Examples added so far (flushed or pending). */
  count = 0;
  private pending: Float32Array; // [chunkRows, M]
  private pendingY: Float32Array; // [chunkRows, C], one-hot
  private rows = 0;

  constructor(
    readonly M: number,
    readonly C: number,
    readonly products: Products,
    /** Rows per engine product; a short last chunk is padded with zero rows, which add nothing. */
    readonly chunkRows = 1024,
  ) {
    this.G = new Float64Array(M * M);
    this.Q = new Float64Array(M * C);
    this.pending = new Float32Array(chunkRows * M);
    this.pendingY = new Float32Array(chunkRows * C);
  }

  /**
   * Adds a batch of features h [n, M] and labels [n]. Bad input (a value that is not finite, a label
   * outside 0…C−1) throws a UserError naming `batch` before anything is added.
   */
  async add(h: Float32Array, labels: ArrayLike<number>, batch: string): Promise<void> {
    const n = checkFeatures(h, this.M, batch);
    checkLabels(labels, n, this.C, batch);
    for (let r = 0; r < n; r++) {
      this.pending.set(h.subarray(r * this.M, (r + 1) * this.M), this.rows * this.M);
      this.pendingY[this.rows * this.C + labels[r]] = 1;
      this.rows++;
      this.count++;
      if (this.rows === this.chunkRows) await this.flush();
    }
  }

  /** Adds the pending rows' products into G and Q; reading G or Q needs this first. */
  async flush(): Promise<void> {
    if (this.rows === 0) return;
    const { M, C } = this;
    const hh = await this.products.tn(this.pending, this.pending, this.chunkRows, M, M); // [M, M]
    const hy = await this.products.tn(this.pending, this.pendingY, this.chunkRows, M, C); // [M, C]
    const G = this.G;
    for (let i = 0; i < M; i++) {
      const r = i * M;
      for (let j = i; j < M; j++) G[r + j] += hh[r + j];
    }
    for (let k = 0; k < M * C; k++) this.Q[k] += hy[k];
    this.pending.fill(0);
    this.pendingY.fill(0);
    this.rows = 0;
  }

  /** G[i, j] for any i, j (G is symmetric; only its upper triangle is stored). */
  gram(i: number, j: number): number {
    return i <= j ? this.G[i * this.M + j] : this.G[j * this.M + i];
  }
}
