// The features of each class, gathered batch by batch, for the official default storage
// 'multi-centroid' (engines/hide_promtp_wtp_and_tap_engine.py:_compute_mean), which clusters a
// class's whole feature set with k-means and so needs every row, not running sums.
import { UserError } from '../../errors.ts';
import { checkFeatures } from './features.ts';

export class ClassFeatures {
  private readonly rows = new Map<number, Float32Array[]>();

  constructor(readonly dim: number) {}

  /** Adds a batch: features [n, D] row-major, labels [n]. */
  add(features: ArrayLike<number>, labels: ArrayLike<number>, source = 'features'): void {
    checkFeatures(features, labels, this.dim, source);
    const d = this.dim;
    for (let r = 0; r < labels.length; r++) {
      let list = this.rows.get(labels[r]);
      if (!list) this.rows.set(labels[r], (list = []));
      list.push(Float32Array.from({ length: d }, (_, j) => features[r * d + j]));
    }
  }

  classes(): number[] {
    return [...this.rows.keys()].sort((a, b) => a - b);
  }

  /** The rows of `cls` in arrival order: [n, D]. */
  of(cls: number): { n: number; data: Float32Array } {
    const list = this.rows.get(cls);
    if (!list) throw new UserError(`class statistics: class ${cls} has no examples`);
    const data = new Float32Array(list.length * this.dim);
    list.forEach((row, i) => data.set(row, i * this.dim));
    return { n: list.length, data };
  }

  /** Forgets the rows once a class's statistics are stored. */
  clear(): void {
    this.rows.clear();
  }
}
