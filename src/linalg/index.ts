// RanPAC's closed-form machinery, independent of any method: random projection, the Gram/Q
// statistics, the float64 ridge solve and the official ridge-λ choice.
export { randomProjection, ranpacFeatures, ranpacLogits } from './projection.ts';
export type { Products } from './products.ts';
export { hostProducts } from './products.ts';
export { EngineProducts } from './engine-products.ts';
export { RidgeStats, checkFeatures, checkLabels, firstNonFinite } from './gram.ts';
export { choleskyInPlace, choleskySolve, solveShifted, hostCholesky, type Cholesky } from './cholesky.ts';
export { engineCholesky } from './cholesky-blocked.ts';
export { ridgeHead } from './ridge.ts';
export { chooseRidge, REDUCTION_MAX, RIDGE_GRID, type RidgeChoice, type RidgeSolver } from './ridge-lambda.ts';
