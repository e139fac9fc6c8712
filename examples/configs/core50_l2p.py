"""L2P on CORe50, domain-incremental: 8 training sessions of the same 50 objects.

Written for L2P.ts in the language of the official configs; every key of the official
core50_l2p.py, with its value. Unlike the other L2P runs the whole ViT trains (freeze_part is
empty), with SGD.
"""

import ml_collections


def get_config():
  """The experiment."""
  config = ml_collections.ConfigDict()
  config.model_name = "ViT-B_16"
  config.model_config = None
  config.init_checkpoint = ml_collections.FieldReference(None, field_type=str)
  config.freeze_part = []
  config.freeze_bn_stats = False

  config.dataset = "core50"
  config.split_core50 = False
  config.gaussian_schedule = False
  config.gaussian_mode = ''
  config.input_size = 224
  config.resize_size = 256
  config.norm_01 = True
  config.reverse_task = False
  config.shuffle_buffer_size = 10000
  config.subsample_rate = -1

  # Every session holds all 50 objects: nothing to mask.
  continual = ml_collections.ConfigDict()
  continual.num_tasks = 8
  continual.num_classes_per_task = 50
  continual.rand_seed = -1
  continual.num_train_steps_per_task = -1
  continual.train_mask = False
  continual.eval_task_inc = False
  config.continual = continual

  config.per_device_batch_size = 16
  config.num_epochs = 5
  config.learning_rate = 0.03
  config.optim = "sgd"
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
  config.eval_per_epochs = 5
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
  config.prompt_pool_param = ml_collections.ConfigDict()
  config.prompt_pool_param.pool_size = 10
  config.prompt_pool_param.length = 5
  config.prompt_pool_param.top_k = 4
  config.prompt_pool_param.initializer = "uniform"
  config.prompt_pool_param.prompt_key = True
  config.prompt_pool_param.use_prompt_mask = False
  config.prompt_pool_param.mask_first_epoch = False
  config.prompt_pool_param.shared_prompt_pool = False
  config.prompt_pool_param.shared_prompt_key = False
  config.prompt_pool_param.batchwise_prompt = True
  config.prompt_pool_param.prompt_key_init = "uniform"
  config.prompt_pool_param.embedding_key = "cls"
  config.predefined_key_path = ""
  config.pull_constraint = True
  config.pull_constraint_coeff = 1.0

  config.prompt_histogram = False
  config.prompt_mask_mode = None
  config.save_prompts = False
  return config
