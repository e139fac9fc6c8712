"""L2P on 5-datasets: CIFAR-10, MNIST, SVHN, notMNIST and Fashion-MNIST, one per task.

Written for L2P.ts in the language of the official configs; every key of the official
five_datasets_l2p.py, with its value. The member datasets and their order are the official
code's (our preset's `dataset_list`).
"""

import ml_collections

NUM_TASKS = 5
TOP_K = 4


def get_config():
  """The experiment."""
  config = ml_collections.ConfigDict()
  config.model_name = "ViT-B_16"
  config.model_config = None
  config.init_checkpoint = ml_collections.FieldReference(None, field_type=str)
  config.freeze_part = ["encoder", "embedding", "cls"]
  config.freeze_bn_stats = False

  config.dataset = "5datasets"
  config.gaussian_schedule = False
  config.gaussian_mode = ""
  config.input_size = 224
  config.resize_size = 256
  config.norm_01 = True
  config.reverse_task = False
  config.shuffle_buffer_size = 10000
  config.subsample_rate = -(1)

  # Ten classes in each member dataset.
  config.continual = ml_collections.ConfigDict({"num_tasks": NUM_TASKS, "num_classes_per_task": 10})
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
  config.reinit_optimizer = True
  config.seed = 40 + 2
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
  config.vit_classifier = "prompt"

  config.use_g_prompt = False
  config.use_e_prompt = True
  config.e_prompt_layer_idx = [0]
  config.use_prefix_tune_for_e_prompt = False

  # Task t trains its own TOP_K prompts (the mask), each task starting from the previous task's.
  config.prompt_pool = True
  config.prompt_pool_param = ml_collections.ConfigDict()
  config.prompt_pool_param.pool_size = NUM_TASKS * TOP_K
  config.prompt_pool_param.length = 10
  config.prompt_pool_param.top_k = TOP_K
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
  config.pull_constraint_coeff = 1 / 2

  config.prompt_histogram = True
  config.prompt_mask_mode = None
  config.save_prompts = False
  return config
