"""L2P on task-free CIFAR-100: classes fade in and out on Gaussian curves over 200 episodes.

Written for L2P.ts in the language of the official configs; every key of the official
cifar100_gaussian_l2p.py, with its value.
"""

import ml_collections

EPISODES = 200
CLASSES = 100


def get_config():
  """The experiment."""
  config = ml_collections.ConfigDict()
  config.model_name = "ViT-B_16"
  config.model_config = None
  config.init_checkpoint = ml_collections.FieldReference(None, field_type=str)
  # A tuple reads as the same list of names.
  config.freeze_part = ("encoder", "embedding", "cls")
  config.freeze_bn_stats = False

  config.dataset = "cifar100"
  config.gaussian_schedule = True
  config.gaussian_mode = ""
  config.input_size = 224
  config.resize_size = 256
  config.norm_01 = True
  config.reverse_task = False
  config.shuffle_buffer_size = 10000
  config.subsample_rate = -1

  # Every episode draws from the whole label space, so the head has CLASSES outputs.
  config.continual = ml_collections.ConfigDict()
  config.continual.num_tasks = EPISODES
  config.continual.num_classes_per_task = CLASSES
  config.continual.rand_seed = -1
  config.continual.num_train_steps_per_task = -1
  config.continual.train_mask = True
  config.continual.eval_task_inc = False

  config.per_device_batch_size = 16
  config.num_epochs = 5
  config.learning_rate = 0.03
  config.optim = "adam"
  config.sgd_momentum = 0.9
  config.grad_clip_max_norm = 1.0
  config.learning_rate_schedule = "constant"
  config.warmup_epochs = 0
  config.weight_decay = 0
  # One optimiser state across the whole stream: there are no task boundaries to reset at.
  config.reinit_optimizer = False
  config.seed = 42
  config.trial = 0

  config.offline_eval = False
  config.recreate_eval = False
  config.eval_last_only = False
  config.eval_every_steps = -1
  config.eval_per_epochs = EPISODES // 2
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
  config.vit_classifier = "prompt"

  config.use_g_prompt = False
  config.use_e_prompt = True
  config.e_prompt_layer_idx = [0]
  config.use_prefix_tune_for_e_prompt = False

  config.prompt_pool = True
  config.prompt_pool_param = {
      "pool_size": 10,
      "length": 10,
      "top_k": 4,
      "initializer": "uniform",
      "prompt_key": True,
      "use_prompt_mask": False,
      "mask_first_epoch": False,
      "shared_prompt_pool": False,
      "shared_prompt_key": False,
      "batchwise_prompt": True,
      "prompt_key_init": "uniform",
      "embedding_key": "cls",
  }
  config.predefined_key_path = ""
  config.pull_constraint = True
  config.pull_constraint_coeff = 1.0

  config.prompt_histogram = False
  config.prompt_mask_mode = None
  config.save_prompts = False
  return config
