// The learning-rate schedule of the official libml/utils.get_learning_rate, per task:
// epoch = step / steps_per_epoch; a cosine, linear or constant decay after `warmup_epochs` of linear
// warmup; after warmup the rate never falls below `minLr`.

export interface Schedule {
  kind: 'constant' | 'cosine' | 'linear';
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
  if (s.kind === 'cosine') lr = 0.5 * s.baseLr * (1 + Math.cos((Math.PI * Math.min(Math.max(t, 0), span)) / span));
  else if (s.kind === 'linear') lr = s.baseLr * (1 - Math.min(Math.max(t, 0), span) / span);
  else lr = s.baseLr;
  const warmup = s.warmupEpochs > 0 ? Math.min(1, epoch / s.warmupEpochs) : 1;
  return warmup < 1 ? lr * warmup : Math.max(lr * warmup, s.minLr);
}
