// The learning-rate schedule of the official libml/utils.get_learning_rate, per task:
// epoch = step / steps_per_epoch; a cosine, linear or constant decay after `warmup_epochs` of linear
// warmup; after warmup the rate never falls below `minLr`. 'coda_cosine' is the official CODA-Prompt
// schedule instead (utils/schedulers.py CosineSchedule, restarted with the optimiser at every task): one
// rate per epoch e = 0 .. K−1, base · cos(99π·e / (200·(K − 1))), from the base rate down to
// cos(0.495π) ≈ 0.016 of it in the last epoch.

export interface Schedule {
  kind: 'constant' | 'cosine' | 'linear' | 'coda_cosine';
  baseLr: number;
  stepsPerEpoch: number;
  numEpochs: number;
  warmupEpochs: number;
  minLr: number;
}

/** The rate at `step` (counted from 1 within the task, as the official first task does). */
export function learningRate(s: Schedule, step: number): number {
  const epoch = step / s.stepsPerEpoch;
  const t = epoch - s.warmupEpochs;
  const span = s.numEpochs - s.warmupEpochs;
  let lr: number;
  if (s.kind === 'coda_cosine') lr = s.baseLr * codaCosine(Math.max(t, 0), span);
  else if (s.kind === 'cosine') lr = 0.5 * s.baseLr * (1 + Math.cos((Math.PI * Math.min(Math.max(t, 0), span)) / span));
  else if (s.kind === 'linear') lr = s.baseLr * (1 - Math.min(Math.max(t, 0), span) / span);
  else lr = s.baseLr;
  const warmup = s.warmupEpochs > 0 ? Math.min(1, epoch / s.warmupEpochs) : 1;
  return warmup < 1 ? lr * warmup : Math.max(lr, s.minLr);
}

/**
 * The official CODA-Prompt factor at `t` epochs into a span of K: epoch e = ⌊t⌋ (the rate changes once per
 * epoch; the last step of an epoch, at t = e + 1 exactly, still belongs to epoch e), clamped to K − 1.
 * With K = 1 the official code divides by zero; here the one epoch keeps the base rate.
 */
function codaCosine(t: number, k: number): number {
  if (k <= 1) return 1;
  const e = Math.min(Math.ceil(t) - 1, k - 1);
  return Math.cos((99 * Math.PI * Math.max(e, 0)) / (200 * (k - 1)));
}
