"""L2P on split CIFAR-100 (10 tasks of 10 classes), in the language of the official configs.

Written for L2P.ts: `npx l2p main --my_config examples/configs/cifar100_l2p.py --workdir=./l2p
--my_config.init_checkpoint=./ViT-B_16.npz` runs it, as `python main.py` runs the official file.
It holds every key of the official cifar100_l2p.py with the same values, laid out by topic.
"""

import ml_collections

# Shared by the pool size and the task count below: one prompt slot per task.
NUM_TASKS = 10


def get_config():
  """The experiment."""
  config = ml_collections.ConfigDict()

  # Backbone and its weights; the checkpoint is given on the command line.
  config.model_name = "ViT-" + "B_16"
  config.model_config = None
  config.init_checkpoint = ml_collections.FieldReference(None, field_type=str)
  config.freeze_part = ["encoder", "embedding", "cls"]
  config.freeze_bn_stats = False

  # Data.
  config.dataset = "cifar100"
  config.gaussian_schedule = False
  config.gaussian_mode = ""
  config.input_size = 224
  config.resize_size = config.input_size + 32
  config.norm_01 = True
  config.reverse_task = False
  config.shuffle_buffer_size = 10_000
  config.subsample_rate = -1

  # The task split.
  config.continual = ml_collections.ConfigDict({
      "num_tasks": NUM_TASKS,
      "num_classes_per_task": 100 // NUM_TASKS,
      "rand_seed": -1,
      "num_train_steps_per_task": -1,
      "train_mask": True,
      "eval_task_inc": False,
  })

  # Optimisation: lr 0.03 is for a batch of 256 and is scaled to the global batch.
  config.per_device_batch_size = 16
  config.num_epochs = 5
  config.learning_rate = 3e-2
  config.optim = "adam"
  config.sgd_momentum = 0.9
  config.grad_clip_max_norm = 1.0
  config.learning_rate_schedule = "constant"
  config.warmup_epochs = 0
  config.weight_decay = 0
  config.reinit_optimizer = True
  config.seed = 42
  config.trial = 0

  # Evaluation, logging and checkpoints.
  config.offline_eval = False
  config.recreate_eval = False
  config.eval_last_only = False
  config.eval_every_steps = -1
  config.num_eval_steps = -1
  config.eval_pad_last_batch = False
  config.log_loss_every_steps = 3
  config.checkpoint_every_steps = 5000
  config.save_last_ckpt_only = True

  # The head and the class token.
  config.norm_pre_logits = False
  config.weight_norm = False
  config.temperature = 1
  config.use_cls_token = True
  config.task_specific_cls_token = False
  config.vit_classifier = "prompt"

  # L2P in the official model's DualPrompt vocabulary: no g-prompt, the pool prepended at layer 0.
  config.use_g_prompt = False
  config.use_e_prompt = True
  config.e_prompt_layer_idx = [0]
  config.use_prefix_tune_for_e_prompt = False

  # The prompt pool and its query-key matching.
  config.prompt_pool = True
  pool = ml_collections.ConfigDict()
  pool.pool_size = NUM_TASKS
  pool.length = 10
  pool.top_k = 4
  pool.initializer = "uniform"
  pool.prompt_key = True
  pool.prompt_key_init = "uniform"
  pool.embedding_key = "cls"
  pool.batchwise_prompt = True
  pool.use_prompt_mask = False
  pool.mask_first_epoch = False
  pool.shared_prompt_pool = False
  pool.shared_prompt_key = False
  config.prompt_pool_param = pool
  config.predefined_key_path = ""
  config.pull_constraint = True
  config.pull_constraint_coeff = 1.0

  # What is recorded about the prompts.
  config.prompt_histogram = True
  config.prompt_mask_mode = None
  config.save_prompts = False

  return config
