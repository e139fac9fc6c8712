// Which config keys a run reads. Every key is read by every run (SHARED), or by some methods only
// (each method's table, beside it in src/methods), or by some datasets only (src/config/datasets.ts),
// or by nobody, not even the official code (NEVER_READ). A key the chosen method or dataset does not
// read is refused unless it holds its default, so no setting is accepted and silently ignored.
import { UserError } from '../errors.ts';
import { METHOD_KEYS } from '../methods/keys.ts';
import { DATASET_KEYS } from './datasets.ts';
import type { L2PConfig } from './l2p.ts';

/** A key's dotted path: 'temperature', 'prompt_pool_param.top_k', 'coda_prompt_param.layer_idx'. */
export type ConfigKey = LeafPaths<L2PConfig>;
type LeafPaths<T> = {
  [K in keyof T & string]-?: unknown extends T[K]
    ? K
    : NonNullable<T[K]> extends readonly unknown[]
    ? K
    : NonNullable<T[K]> extends object
      ? `${K}.${LeafPaths<NonNullable<T[K]>>}`
      : K;
}[keyof T & string];

/** What a method or a dataset reads; adding a key it reads is one line in `reads`. */
export interface KeyTable {
  /** Keys whose value changes what this method (dataset) does. */
  readonly reads: readonly ConfigKey[];
  /**
   * Keys it does not read, with the values that say what it does anyway, accepted instead of the
   * default (L2P's `use_e_prompt: true`: its prompts are DualPrompt's e-prompts at layer 0).
   */
  readonly holds?: { readonly [K in ConfigKey]?: readonly unknown[] };
}

/**
 * Keys every run reads, whatever its method and dataset: the backbone, the input pipeline, the
 * optimiser and its schedule, the plan of steps, evaluation and checkpoints (src/train), none of
 * which asks which method runs.
 */
export const SHARED = [
  'model_name',
  'init_checkpoint',
  'gelu',
  'input_size',
  'resize_size',
  'train_augment',
  'compute_precision',
  'shuffle_buffer_size',
  'subsample_rate',
  'per_device_batch_size',
  'num_devices',
  'num_epochs',
  'learning_rate',
  'optim',
  'sgd_momentum',
  'optim_config.beta1',
  'optim_config.beta2',
  'optim_config.eps',
  'optim_config.nesterov',
  'weight_decay',
  'grad_clip_max_norm',
  'learning_rate_schedule',
  'warmup_epochs',
  'min_learning_rate',
  'reinit_optimizer',
  'freeze_part',
  'seed',
  'eval_every_steps',
  'eval_per_epochs',
  'num_eval_steps',
  'eval_pad_last_batch',
  'eval_augment',
  'eval_last_only',
  'checkpoint_every_steps',
  'keep_checkpoints',
  'save_last_ckpt_only',
  'continual.num_tasks',
  'continual.num_classes_per_task',
  'continual.num_train_steps_per_task',
  'continual.eval_task_inc',
  'continual.scenario',
] as const satisfies readonly ConfigKey[];

/**
 * Official keys held at the one value every official config gives them; any other is refused with
 * its reason by checkL2PConfig (norm_01: false, use_cls_token: false, split_core50: true,
 * weight_norm: true, freeze_bn_stats: true).
 */
export const HELD = ['norm_01', 'use_cls_token', 'split_core50', 'weight_norm', 'freeze_bn_stats'] as const satisfies readonly ConfigKey[];

/**
 * Official keys that the official code itself never reads (set in its configs/*.py, read nowhere in
 * google-research/l2p, or overwritten first): accepted at any value, since they change nothing there
 * either, and named in one notice.
 */
export const NEVER_READ = [
  'gaussian_mode',
  'offline_eval',
  'recreate_eval',
  'trial',
  'task_specific_cls_token',
  'predefined_key_path',
  'prompt_mask_mode',
  'save_prompts',
  'log_loss_every_steps',
  'prompt_pool_param.mask_first_epoch',
  // Overwritten by the official train_continual.py (from model_name) before anything reads it.
  'model_config',
  // DualPrompt: the official create_model stores it but never hands it to the e-prompt pool (models/vit.py).
  'same_key_value_for_pool',
] as const satisfies readonly ConfigKey[];

/**
 * The value of each key that some method or dataset does not read, where a reader of it would do
 * nothing different: the official configs/cifar100_l2p.py value, or unset for keys of one method.
 * `[undefined, v]`: unset, or v, which means the same.
 */
export const DEFAULTS: { readonly [K in ConfigKey]?: readonly unknown[] } = {
  prompt_pool: [false],
  'prompt_pool_param.pool_size': [10],
  'prompt_pool_param.length': [10],
  'prompt_pool_param.top_k': [4],
  'prompt_pool_param.initializer': ['uniform'],
  'prompt_pool_param.prompt_key': [true],
  'prompt_pool_param.prompt_key_init': ['uniform'],
  'prompt_pool_param.embedding_key': ['cls'],
  'prompt_pool_param.batchwise_prompt': [true],
  'prompt_pool_param.use_prompt_mask': [false],
  'prompt_pool_param.shared_prompt_pool': [false],
  'prompt_pool_param.shared_prompt_key': [false],
  'prompt_pool_param.diversify': [undefined, false],
  prompt_layout: ['head'],
  test_time_selection: ['batchwise'],
  pull_constraint: [false],
  pull_constraint_coeff: [1],
  temperature: [1],
  norm_pre_logits: [false],
  vit_classifier: ['token'],
  query_precision: [undefined, 'fp32'],
  prompt_histogram: [true],
  grad_clip_scope: ['all'],
  'continual.train_mask': [true],
  use_g_prompt: [undefined],
  g_prompt_length: [undefined],
  g_prompt_layer_idx: [undefined],
  use_prefix_tune_for_g_prompt: [undefined],
  use_e_prompt: [undefined],
  e_prompt_layer_idx: [undefined],
  use_prefix_tune_for_e_prompt: [undefined],
  same_key_value_for_shared: [undefined],
  'coda_prompt_param.pool_size': [undefined],
  'coda_prompt_param.length': [undefined],
  'coda_prompt_param.ortho_mu': [undefined],
  'coda_prompt_param.layer_idx': [undefined],
  use_RP: [undefined],
  M: [undefined],
  petl: [undefined],
  vpt_type: [undefined],
  prompt_token_num: [undefined],
  prompt_momentum: [undefined],
  reg: [undefined],
  larger_prompt_lr: [undefined],
  ca_storage_efficient_method: [undefined],
  n_centroids: [undefined],
  ca_lr: [undefined],
  crct_epochs: [undefined],
  not_train_ca: [undefined],
  original_model_mlp_structure: [undefined],
  sched: [undefined],
  decay_epochs: [undefined],
  decay_rate: [undefined],
  min_lr: [undefined],
  tii_epochs: [undefined],
  tii_lr: [undefined],
  'continual.rand_seed': [-1],
  'continual.class_order': [undefined, 'l2p'],
  reverse_task: [false],
  dataset_list: [undefined],
  gaussian_schedule: [false],
  'continual.task_classes': [undefined],
  data_dir: [''],
};

/** The keys whose reading depends on the method: those some method's table names. */
export const METHOD_AXIS: readonly ConfigKey[] = axis(Object.values(METHOD_KEYS));
/** The keys whose reading depends on the dataset. */
export const DATASET_AXIS: readonly ConfigKey[] = axis(Object.values(DATASET_KEYS));

function axis(tables: readonly KeyTable[]): ConfigKey[] {
  return [...new Set(tables.flatMap((t) => [...t.reads, ...(Object.keys(t.holds ?? {}) as ConfigKey[])]))];
}

/** The value at a dotted key, undefined where a group on the way is unset. */
export function valueAt(c: object, key: string): unknown {
  let v: unknown = c;
  for (const part of key.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The values a table's non-reader accepts for `key`: what it holds, else the default. */
export function accepted(table: KeyTable, key: ConfigKey): readonly unknown[] {
  return table.holds?.[key] ?? DEFAULTS[key] ?? [];
}

/** The readers (method or dataset names) of `key` among `tables`. */
function readersOf(tables: Record<string, KeyTable>, key: ConfigKey): string[] {
  return Object.entries(tables).filter(([, t]) => t.reads.includes(key)).map(([n]) => n);
}

/**
 * Refuses, in one line, a key the config's method or dataset does not read and that holds neither its
 * default nor a value the method holds, naming the key, the method (dataset) and those that read it.
 */
export function checkReaders(c: L2PConfig): void {
  const axes = [
    { what: 'method', name: c.method, tables: METHOD_KEYS as Record<string, KeyTable>, keys: METHOD_AXIS },
    { what: 'dataset', name: c.dataset, tables: DATASET_KEYS as Record<string, KeyTable>, keys: DATASET_AXIS },
  ];
  for (const { what, name, tables, keys } of axes) {
    const table = tables[name];
    for (const key of keys) {
      if (table.reads.includes(key)) continue;
      const value = valueAt(c, key);
      const ok = accepted(table, key);
      if (ok.some((v) => same(v, value))) continue;
      throw new UserError(refusal(c, { what, name, key, value, ok, readers: readersOf(tables, key) }));
    }
  }
}

function refusal(c: L2PConfig, r: { what: string; name: string; key: ConfigKey; value: unknown; ok: readonly unknown[]; readers: string[] }): string {
  // A group of one method's keys (coda_prompt_param) is named as a whole when it should be unset.
  const group = r.key.includes('.') ? r.key.slice(0, r.key.indexOf('.')) : null;
  const wholeGroup = group !== null && Object.entries(DEFAULTS).every(([k, d]) => !k.startsWith(`${group}.`) || (d.length === 1 && d[0] === undefined));
  const key = wholeGroup ? group : r.key;
  const value = wholeGroup ? valueAt(c, group) : r.value;
  const leave = r.ok.map((v) => (v === undefined ? 'unset' : `at ${JSON.stringify(v)}`)).join(' or ');
  const use = r.readers.length === 0 ? '' : ` (${r.what}=${r.readers.join(', ')} ${r.readers.length === 1 ? 'reads' : 'read'} it)`;
  return `config key '${key}' = ${JSON.stringify(value)} is not read by ${r.what} '${r.name}'${use}: leave it ${leave}`;
}

/**
 * The lines a run prints about its config: the official keys it carries that nothing reads. Empty
 * when there are none.
 */
export function configNotices(c: L2PConfig): string[] {
  const set = NEVER_READ.filter((k) => valueAt(c, k) !== undefined);
  if (set.length === 0) return [];
  return [`notice: config keys ${set.join(', ')} are set in the official configs but never read by the official code; accepted, they change nothing`];
}

/**
 * `c` moved to another method: the keys `method` does not read go back to what it holds or to their
 * default, so that a preset of one method runs another (`--set method=head_only` on an L2P preset).
 */
export function onMethod(c: L2PConfig, method: L2PConfig['method']): L2PConfig {
  const out = structuredClone({ ...c, method }) as Record<string, unknown>;
  const table: KeyTable = METHOD_KEYS[method];
  for (const key of METHOD_AXIS) {
    if (table.reads.includes(key)) continue;
    const ok = accepted(table, key);
    if (!ok.some((v) => same(v, valueAt(out, key)))) setAt(out, key, ok[0]);
  }
  return out as L2PConfig;
}

function setAt(c: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let obj = c;
  for (const part of parts.slice(0, -1)) {
    if (obj[part] === undefined) {
      if (value === undefined) return;
      obj[part] = {};
    }
    obj = obj[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete obj[last];
  else obj[last] = value;
  // A group of one method's keys left empty is unset as a whole.
  if (parts.length > 1 && Object.keys(obj).length === 0) delete c[parts[0]];
}
