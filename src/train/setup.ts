// From a config and a backbone in memory to a ready learner: the method's parameters and model. No
// file access, so the page builds its learner with the same code (the backbone from a file is
// experiment.ts's backboneFor).
import type { L2PConfig } from '../config/l2p.ts';
import type { L2PModelOptions } from '../l2p/model.ts';
import { methodOf } from '../methods/index.ts';
import { l2pModelOptions, L2P_VARIANT } from '../methods/l2p.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT } from '../vit/layout.ts';
import type { ViTConfig } from '../vit/variants.ts';
import { Learner } from './learner.ts';
import { UserError } from '../errors.ts';

/** The init_checkpoint value that asks for random backbone weights. */
export const RANDOM_INIT = 'random';

/** Where the official backbone comes from (google-research/l2p's README names this file). */
export const OFFICIAL_CHECKPOINT_URL = 'https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz';

/**
 * How the backbone starts: from the checkpoint file named, or from random weights. Random weights
 * only when asked (init_checkpoint 'random') or for the variants table's test size 'mu' (the smoke
 * presets' ViT-mu_8), which exists only as random weights; any other backbone without a checkpoint
 * is refused before anything is written, since its results would mean nothing.
 */
export function backboneInit(c: L2PConfig): { checkpoint: string } | { random: 'asked' | 'test-size' } {
  if (c.init_checkpoint === RANDOM_INIT) return { random: 'asked' };
  if (c.init_checkpoint) return { checkpoint: c.init_checkpoint };
  if (/^(?:ViT-)?mu[/_]\d+$/.test(c.model_name.trim())) return { random: 'test-size' };
  throw new UserError(
    `init_checkpoint is not set and ${c.model_name} needs pretrained weights: download the official ViT-B_16.npz from ${OFFICIAL_CHECKPOINT_URL} (the source google-research/l2p's README names; timm and Hugging Face checkpoints are being added) and pass --set init_checkpoint=PATH (l2p main: --my_config.init_checkpoint=PATH), or --set init_checkpoint=${RANDOM_INIT} to train from random weights`,
  );
}

/** L2P's model options for a config (benchmarks and tests that build L2P graphs themselves). */
export function modelOptions(c: L2PConfig, vit: ViTConfig, numClasses: number): L2PModelOptions {
  return l2pModelOptions(c, L2P_VARIANT, vit, numClasses);
}

/** A learner for the config's method: the backbone's parameters and the method's own, initialised. */
export function createLearner(c: L2PConfig, vit: LoadedViT, numClasses: number, runtime: RuntimeOptions = {}): Learner {
  const model = methodOf(c).create(c, vit, numClasses);
  const params = new Map([...vit.params, ...model.params]);
  const precision = c.compute_precision === 'fp16' ? { computePrecision: 'fp16' as const } : {};
  return new Learner(c, model, params, c.input_size, { ...runtime, ...precision });
}
