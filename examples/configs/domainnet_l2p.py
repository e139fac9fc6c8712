"""L2P on DomainNet, domain-incremental: one task per domain, one head over its 345 classes.

The official repository has no DomainNet config; this one is written for L2P.ts in the language of
the official configs, from the official cifar100_l2p.py recipe (our preset `domainnet_l2p`). Run it
as the official README runs a config, after `tfds build domainnet`:

  npx l2p main --my_config examples/configs/domainnet_l2p.py --workdir=./domainnet_l2p/ \
      --my_config.init_checkpoint=./ViT-B_16.npz

What our DomainNet reader needs from such a file (docs/official-workflow.md):
  - dataset "domainnet", and the domains to train, in order, as dataset_list: each names the TFDS
    builder config domainnet/<domain> (or the folder of DomainNet as distributed);
  - continual.num_tasks equal to the number of domains, and num_classes_per_task = 345, the label
    space every domain shares;
  - continual.train_mask False: every task has every class, so there is nothing to mask.
The data directory is TFDS's default ($TFDS_DATA_DIR or ~/tensorflow_datasets), where `tfds build`
writes; get_config's argument, given as FILE.py:DIR, sets another.
"""

import ml_collections

# S-Prompts' order. A tuple: `--my_config.dataset_list='("real", "sketch")'` replaces it.
DOMAINS = ("clipart", "infograph", "painting", "quickdraw", "real", "sketch")


def get_config(data_dir=""):
  """The experiment; `data_dir` comes from `--my_config FILE.py:DIR`."""
  config = ml_collections.ConfigDict()
  config.model_name = "ViT-B_16"
  config.init_checkpoint = ml_collections.FieldReference(None, field_type=str)
  config.freeze_part = ["encoder", "embedding", "cls"]

  config.dataset = "domainnet"
  config.data_dir = data_dir  # (ours) the TFDS data directory; "" is TFDS's default
  config.dataset_list = DOMAINS
  config.gaussian_schedule = False
  config.input_size = 224
  config.resize_size = 256
  config.norm_01 = True
  config.reverse_task = False
  # DomainNet's lists are grouped by class: a buffer as large as the whole training set (409,832 images)
  # makes each epoch a uniform permutation, where 10,000 would fill batches with about half the classes.
  config.shuffle_buffer_size = 500000
  config.subsample_rate = -1

  config.continual = ml_collections.ConfigDict()
  config.continual.num_tasks = 6
  config.continual.num_classes_per_task = 345
  config.continual.rand_seed = -1
  config.continual.num_train_steps_per_task = -1
  config.continual.train_mask = False
  config.continual.eval_task_inc = False
  config.continual.scenario = "domain_incremental"  # (ours) a task is a domain, not new classes

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
  config.seed = 42

  config.eval_last_only = False
  config.eval_every_steps = -1
  config.num_eval_steps = -1
  config.eval_pad_last_batch = False
  config.checkpoint_every_steps = 5000
  config.save_last_ckpt_only = True

  config.norm_pre_logits = False
  config.temperature = 1
  config.use_cls_token = True
  config.vit_classifier = "prompt"

  config.prompt_pool = True
  config.prompt_pool_param = ml_collections.ConfigDict()
  config.prompt_pool_param.pool_size = 10
  config.prompt_pool_param.length = 10
  config.prompt_pool_param.top_k = 4
  config.prompt_pool_param.initializer = "uniform"
  config.prompt_pool_param.prompt_key = True
  config.prompt_pool_param.use_prompt_mask = False
  config.prompt_pool_param.shared_prompt_pool = False
  config.prompt_pool_param.shared_prompt_key = False
  config.prompt_pool_param.batchwise_prompt = True
  # (ours) Test batches read in stored order are one domain and mostly one class: each image selects its
  # own prompts at test time rather than by the batch's vote.
  config.test_time_selection = "per_instance"
  config.prompt_pool_param.prompt_key_init = "uniform"
  config.prompt_pool_param.embedding_key = "cls"
  config.pull_constraint = True
  config.pull_constraint_coeff = 1.0

  config.prompt_histogram = True
  return config
