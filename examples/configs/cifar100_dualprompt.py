"""DualPrompt on split CIFAR-100: a g-prefix at layers 0-1, task e-prefixes at layers 2-4.

Written for L2P.ts in the language of the official configs; every key of the official
cifar100_dualprompt.py, with its value. Turning the g-prompt on is what makes this DualPrompt.
"""

import ml_collections

G_LAYERS = [0, 1]
E_LAYERS = [2, 3, 4]


def get_config():
  """The experiment."""
  config = ml_collections.ConfigDict()
  config.model_name = "ViT-B_16"
  config.model_config = None
  config.init_checkpoint = ml_collections.FieldReference(None, field_type=str)
  config.freeze_part = ["encoder", "embedding", "cls"]
  config.freeze_bn_stats = False

  config.dataset = "cifar100"
  config.gaussian_schedule = False
  config.gaussian_mode = ""
  config.input_size = 224
  config.resize_size = 256
  config.norm_01 = True
  config.reverse_task = False
  config.shuffle_buffer_size = 10000
  config.subsample_rate = -1

  config.continual = ml_collections.ConfigDict()
  config.continual.num_tasks = 10
  config.continual.num_classes_per_task = 10
  config.continual.rand_seed = -1
  config.continual.num_train_steps_per_task = -1
  config.continual.train_mask = True
  config.continual.eval_task_inc = False

  config.per_device_batch_size = 24
  config.num_epochs = 5
  config.learning_rate = 0.03
  config.optim = "adam"
  config.sgd_momentum = 0.9
  config.grad_clip_max_norm = 1.0
  config.learning_rate_schedule = "constant"
  config.warmup_epochs = 0
  config.weight_decay = 0
  config.reinit_optimizer = True
  config.seed = 42
  config.trial = 0

  config.offline_eval = False
  config.recreate_eval = False
  config.eval_last_only = False
  config.eval_every_steps = -1
  config.num_eval_steps = -1
  config.eval_pad_last_batch = False
  config.log_loss_every_steps = 3
  config.checkpoint_every_steps = 5000
  config.save_last_ckpt_only = True

  config.norm_pre_logits = False
  config.weight_norm = False
  config.temperature = 1
  config.use_cls_token = True
  config.task_specific_cls_token = False
  config.vit_classifier = "token"

  # The task-invariant g-prompt and the task-specific e-prompts, both as attention prefixes.
  config.use_g_prompt = True
  config.g_prompt_length = 5
  config.g_prompt_layer_idx = G_LAYERS
  config.use_prefix_tune_for_g_prompt = True
  config.use_e_prompt = True
  config.e_prompt_layer_idx = E_LAYERS
  config.use_prefix_tune_for_e_prompt = True

  # The e-prompt pool: one prompt per task, chosen by key at test time.
  config.prompt_pool = True
  config.prompt_pool_param = ml_collections.ConfigDict()
  config.prompt_pool_param.pool_size = 10
  config.prompt_pool_param.length = 5
  config.prompt_pool_param.top_k = 1
  config.prompt_pool_param.initializer = "uniform"
  config.prompt_pool_param.prompt_key = True
  config.prompt_pool_param.use_prompt_mask = True
  config.prompt_pool_param.mask_first_epoch = False
  config.prompt_pool_param.shared_prompt_pool = True
  config.prompt_pool_param.shared_prompt_key = False
  config.prompt_pool_param.batchwise_prompt = True
  config.prompt_pool_param.prompt_key_init = "uniform"
  config.prompt_pool_param.embedding_key = "cls"
  config.predefined_key_path = ""
  config.pull_constraint = True
  config.pull_constraint_coeff = 1.0

  config.prompt_histogram = True
  config.prompt_mask_mode = None
  config.save_prompts = False
  return config
