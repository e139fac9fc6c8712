// The check every class-statistics input passes: features [n, D] with one integer label per row, all
// finite. A NaN here would silently poison a class mean, its covariance and every sample drawn from it.
import { UserError } from '../../errors.ts';

/** Throws a one-line UserError naming `source`, the row and its label for the first non-finite value. */
export function checkFeatures(features: ArrayLike<number>, labels: ArrayLike<number>, dim: number, source: string): void {
  if (!Number.isInteger(dim) || dim <= 0) throw new UserError(`${source}: feature dimension ${dim} is not a positive integer`);
  if (features.length !== labels.length * dim) {
    throw new UserError(`${source}: ${features.length} feature values for ${labels.length} labels of dimension ${dim}`);
  }
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0) throw new UserError(`${source}: row ${r} has label ${y}, not a class index`);
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j];
      if (!Number.isFinite(v)) throw new UserError(`${source}: row ${r} (class ${y}) has feature ${j} = ${v}; class statistics need finite features`);
    }
  }
}
