// Whether a run may start from random backbone weights: the one place that decides it. A backbone
// that needs pretrained weights and has none is refused before anything is written, because a run on
// it trains for hours and reports numbers that mean nothing.
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';

/** The init_checkpoint value that asks for random backbone weights. */
export const RANDOM_INIT = 'random';

/** Where the official backbone comes from (google-research/l2p's README names this file). */
export const OFFICIAL_CHECKPOINT_URL = 'https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz';

/** The variants table's test size ('mu', the smoke presets' ViT-mu_8) exists only as random weights. */
const RANDOM_ONLY = /^(?:ViT-)?mu[/_]\d+$/;

/** What to do about a missing checkpoint, in one sentence. */
export function missingCheckpointFix(): string {
  return `pass one with --set init_checkpoint=PATH (l2p main: --my_config.init_checkpoint=PATH): the official ViT-B_16.npz is at ${OFFICIAL_CHECKPOINT_URL} (the source google-research/l2p's README names; timm and Hugging Face checkpoints, safetensors or PyTorch files, are read too: docs/backbones.md); --set init_checkpoint=${RANDOM_INIT} trains from random weights`;
}

/**
 * How the backbone starts: from the checkpoint file named, or from random weights, which only
 * init_checkpoint 'random' or the test size get. Any other backbone without a checkpoint: a UserError.
 */
export function backboneInit(c: L2PConfig): { checkpoint: string } | { random: 'asked' | 'test-size' } {
  if (c.init_checkpoint === RANDOM_INIT) return { random: 'asked' };
  if (c.init_checkpoint) return { checkpoint: c.init_checkpoint };
  if (RANDOM_ONLY.test(c.model_name.trim())) return { random: 'test-size' };
  throw new UserError(`init_checkpoint is not set and ${c.model_name} needs pretrained weights: ${missingCheckpointFix()}`);
}
