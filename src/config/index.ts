// The config module's public API: the L2P config type and schema, presets, overrides.
export { l2pConfigSchema, parseL2PConfig, checkL2PConfig, globalBatchSize, baseLearningRate, numTotalClasses, DATASETS } from './l2p.ts';
export type { L2PConfig } from './l2p.ts';
export { getPreset, presetNames } from './presets.ts';
export { smoke, SMOKE_MODEL } from './smoke.ts';
export { applyOverrides, loadConfigFile, resolveConfig, parseSet, parseValue } from './overrides.ts';
export { checkReaders, configNotices, onMethod, NEVER_READ, DEFAULTS } from './keys.ts';
export type { ConfigKey, KeyTable } from './keys.ts';
