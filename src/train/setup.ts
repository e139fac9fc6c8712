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
