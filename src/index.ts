// l2p-ts, the public API. The short path: a preset, `train` into a workdir, `openRun` it again,
// `evaluate` and `predict`; `writeReport` draws the runs. The pieces those are made of follow, for
// callers who assemble their own loop: the backbone loader, the learner, the stream, evaluation,
// checkpoints and the continual-learning metrics.
export { train, openRun, evaluate, predict, readImages, testBatch } from './api.ts';
export type { TrainOptions, OpenOptions, Run, Evaluation, Prediction } from './api.ts';
export { getPreset, presetNames, parseL2PConfig, applyOverrides, resolveConfig, loadConfigFile } from './config/index.ts';
export type { L2PConfig } from './config/index.ts';
export type { RunSummary } from './rundir/summary.ts';
export { writeReport, type ReportOptions, type WrittenReport } from './report/html-report.ts';

export { loadViT, saveViT, type LoadedViT, type Params } from './vit/params.ts';
export { backboneFor, createLearner } from './train/experiment.ts';
export type { Learner, EvalResult, StepResult } from './train/learner.ts';
export { streamFor } from './train/stream.ts';
export type { ContinualStream, Task, Source } from './data/index.ts';
export { trainContinual, StopRequested, type RunOptions } from './train/loop.ts';
export { evaluateSource, type TaskEval, type EvalOptions } from './train/evaluate.ts';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, type LoopState } from './train/checkpoint.ts';
export { avgAcc, forgetting, backwardTransfer, learningAcc, stepMetrics, type AccMatrix, type StepMetrics } from './rundir/metrics.ts';
export { disposeAll } from './runtime/ort.ts';
export { UserError } from './errors.ts';
