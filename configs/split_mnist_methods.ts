// The demo's Split MNIST stream and backbone (split_mnist_l2p) under DualPrompt and CODA-Prompt, so
// `l2p demo --method <m>` compares methods on the same data. Each method keeps its official (DualPrompt)
// or official (CODA-Prompt) prompt settings, schedule and class order; the 6-block shipped backbone holds
// their layers. The backbone keeps its own GELU (tanh: it was pretrained with it).
import { CODA_OFFICIAL } from '../src/methods/coda-prompt/options.ts';
import { onMethod } from '../src/config/keys.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_dualprompt } from './cifar100_dualprompt.ts';
import { split_mnist_l2p } from './split_mnist_l2p.ts';

export const split_mnist_dualprompt: L2PConfig = {
  ...split_mnist_l2p,
  method: 'dualprompt',
  // The official prompt settings, as the CIFAR-100 preset holds them.
  vit_classifier: cifar100_dualprompt.vit_classifier,
  use_g_prompt: cifar100_dualprompt.use_g_prompt,
  g_prompt_length: cifar100_dualprompt.g_prompt_length,
  g_prompt_layer_idx: cifar100_dualprompt.g_prompt_layer_idx,
  use_prefix_tune_for_g_prompt: cifar100_dualprompt.use_prefix_tune_for_g_prompt,
  use_e_prompt: cifar100_dualprompt.use_e_prompt,
  e_prompt_layer_idx: cifar100_dualprompt.e_prompt_layer_idx,
  use_prefix_tune_for_e_prompt: cifar100_dualprompt.use_prefix_tune_for_e_prompt,
  // The official e-pool (10 prompts of length 5, one per task with the mask, shared forward).
  prompt_pool_param: { ...cifar100_dualprompt.prompt_pool_param },
  pull_constraint_coeff: cifar100_dualprompt.pull_constraint_coeff,
};

const official = CODA_OFFICIAL.cifar100;

// The keys CODA-Prompt does not read (L2P's pool, pull, selection) go back to their defaults.
export const split_mnist_coda_prompt: L2PConfig = onMethod({
  ...split_mnist_l2p,
  // The official rate 0.001 at the demo's batch of 16 (learning_rate is given for a batch of 256).
  learning_rate: (official.lr * 256) / split_mnist_l2p.per_device_batch_size,
  learning_rate_schedule: official.schedule,
  weight_decay: 0,
  grad_clip_max_norm: null,
  coda_prompt_param: { pool_size: official.poolSize, length: official.length, ortho_mu: official.orthoMu, layer_idx: [...official.layers] },
}, 'coda_prompt');
