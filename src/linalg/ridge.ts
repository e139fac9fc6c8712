// The RanPAC head: Wo = ((G + λI)⁻¹ Q)ᵀ in float64, as the official `replace_fc` solves it after
// each task, keeping the rows of the classes seen so far.
import { UserError } from '../errors.ts';
import { solveShifted } from './cholesky.ts';
import type { RidgeStats } from './gram.ts';

/**
 * The head's weight Wo [classes, M] (float32, what the logits graph reads) from the statistics so
 * far and the chosen λ. G's upper triangle is left as it was, so accumulation goes on afterwards.
 */
export async function ridgeHead(stats: RidgeStats, lambda: number, classes: number): Promise<Float32Array> {
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new UserError(`ridge λ must be a positive number, got ${lambda}`);
  if (!Number.isInteger(classes) || classes < 1 || classes > stats.C) {
    throw new UserError(`the head's classes must be 1…${stats.C}, got ${classes}`);
  }
  if (stats.count === 0) throw new UserError('the ridge head has no examples: G and Q are empty');
  await stats.flush();
  const { M, C } = stats;
  const x = await solveShifted(stats.products.cholesky, stats.G, M, lambda, stats.Q, C, 'G'); // [M, C]
  const wo = new Float32Array(classes * M); // [classes, M] = Xᵀ's first rows
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < M; i++) wo[c * M + i] = x[i * C + c];
  }
  return wo;
}
