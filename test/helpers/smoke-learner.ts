// A learner on the smoke backbone (cifar100_l2p_smoke's ViT-mu_8 at 32×32, random weights of seed 1,
// 4 classes) for the learner's tests, and images to feed it.
import { getPreset } from '../../src/config/presets.ts';
import type { L2PConfig } from '../../src/config/l2p.ts';
import type { Learner } from '../../src/train/learner.ts';
import { createLearner } from '../../src/train/setup.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

export const smokeConfig = getPreset('cifar100_l2p_smoke');
export const smokeViT = decodeVariant(smokeConfig.model_name);

/** A smoke learner whose head is not zero, so that gradients reach the prompts and the backbone. */
export function smokeLearner(config: L2PConfig = smokeConfig): Learner {
  const learner = createLearner(config, { config: smokeViT, numPatches: 16, params: randomViT(smokeViT, 16, 1) }, 4);
  learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 10 - 0.5));
  return learner;
}

/** n images [n, 32, 32, 3] of values in [0, 1]. */
export const smokeImages = (n: number) => Float32Array.from({ length: n * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
