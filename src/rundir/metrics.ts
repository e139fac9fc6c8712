// Continual-learning metrics as pure functions of the accuracy matrix, defined as the official
// train_continual.py computes them at the end of each task (it logs them as `avg_acc`,
// `forgetting`, `backward` and `learning_acc`).
//
// The accuracy matrix: acc[i][t] is the accuracy on task i's test set after training task t,
// read only for i <= t, so the zeros the official code keeps below the diagonal and in the columns
// of tasks not yet trained never count. Units are the caller's: fractions or percentages, the
// metrics come out in the same unit.
//
// With one test set shared by all tasks (CORe50, the Gaussian schedule) the official code evaluates
// only that set, writes only row 0, and still logs forgetting and learning accuracy computed from
// the zero rows below it; only its avg_acc (the shared set's accuracy) means anything there. Such
// runs have no per-task matrix to give these functions.

export type AccMatrix = readonly (readonly number[])[];

/** The metrics logged after task t. */
export interface StepMetrics {
  avg_acc: number;
  /** null at t = 0 (after the first task), where the official code logs nothing. */
  forgetting: number | null;
  /** null at t = 0 (after the first task), where the official code logs nothing. */
  backward: number | null;
  learning_acc: number;
  /** acc[i][t] for i = 0..t: the accuracy on each task seen so far. */
  accuracy: number[];
}

function at(m: AccMatrix, i: number, t: number): number {
  const v = m[i]?.[t];
  if (!Number.isFinite(v)) {
    throw new Error(`accuracy matrix has no finite entry acc[${i}][${t}] (got ${v})`);
  }
  return v;
}

function checkStep(m: AccMatrix, t: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= m.length) {
    throw new Error(`task index ${t} is outside the accuracy matrix's ${m.length} rows`);
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Average accuracy after task t: mean over i = 0..t of acc[i][t].
 * An unweighted mean over tasks, not over test images (official: `avg_acc`, the mean of the
 * `accuracy_i` of every evaluated task).
 */
export function avgAcc(m: AccMatrix, t: number): number {
  checkStep(m, t);
  return mean(upTo(t + 1).map((i) => at(m, i, t)));
}

/**
 * Forgetting after task t > 0: mean over i = 0..t−1 of (max over j = i..t of acc[i][j]) − acc[i][t].
 *
 * The maximum includes j = t, so each task's forgetting is >= 0. This is what the official code
 * computes: `np.max(acc_matrix, axis=1)` takes the maximum over the whole row, but when it runs
 * after task t the row holds zeros in the columns not yet written (j > t, and j < i), so for
 * non-negative accuracies the maximum is over j = i..t. It differs from Chaudhry et al.'s
 * forgetting, whose maximum runs over j < t only and which can be negative; and this function
 * never looks at columns after t, where the official whole-row maximum would if it were
 * recomputed afterwards from the final matrix.
 *
 * Returns null for t = 0: there is no earlier task (the official code logs nothing there).
 */
export function forgetting(m: AccMatrix, t: number): number | null {
  checkStep(m, t);
  if (t === 0) return null;
  return mean(
    upTo(t).map((i) => {
      let best = -Infinity;
      for (let j = i; j <= t; j++) best = Math.max(best, at(m, i, j));
      return best - at(m, i, t);
    }),
  );
}

/**
 * Backward transfer after task t > 0: mean over i = 0..t−1 of acc[i][t] − acc[i][i]; negative when
 * the later tasks cost accuracy on the earlier ones. As the official `backward`.
 * Returns null for t = 0, where the official code logs nothing.
 */
export function backwardTransfer(m: AccMatrix, t: number): number | null {
  checkStep(m, t);
  if (t === 0) return null;
  return mean(upTo(t).map((i) => at(m, i, t) - at(m, i, i)));
}

/**
 * Learning accuracy after task t: mean over i = 0..t of acc[i][i], each task's accuracy right after
 * it was learnt. As the official `learning_acc`.
 */
export function learningAcc(m: AccMatrix, t: number): number {
  checkStep(m, t);
  return mean(upTo(t + 1).map((i) => at(m, i, i)));
}

/** All the metrics after task t. */
export function stepMetrics(m: AccMatrix, t: number): StepMetrics {
  checkStep(m, t);
  return {
    avg_acc: avgAcc(m, t),
    forgetting: forgetting(m, t),
    backward: backwardTransfer(m, t),
    learning_acc: learningAcc(m, t),
    accuracy: upTo(t + 1).map((i) => at(m, i, t)),
  };
}
