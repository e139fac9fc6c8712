// From a config and a backbone in memory to a ready learner: the method's parameters and model. No
// file access, so the page builds its learner with the same code (the backbone from a file is
// experiment.ts's backboneFor).
import type { L2PConfig } from '../config/l2p.ts';
import type { L2PModelOptions } from '../methods/l2p/model.ts';
import { methodOf } from '../methods/index.ts';
import { l2pModelOptions, L2P_VARIANT } from '../methods/l2p/family.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT } from '../vit/layout.ts';
import type { ViTConfig } from '../vit/variants.ts';
import { Learner } from './learner.ts';
import { flattenConfig } from '../config/flatten.ts';
import { UserError } from '../errors.ts';

/** L2P's model options for a config (benchmarks and tests that build L2P graphs themselves). */
export function modelOptions(c: L2PConfig, vit: ViTConfig, numClasses: number): L2PModelOptions {
  return l2pModelOptions(c, L2P_VARIANT, vit, numClasses);
}

/** The backbone with the config's GELU; unset, the checkpoint family's (tanh where the loader names none). */
export function withGelu(c: L2PConfig, vit: LoadedViT): LoadedViT {
  return { ...vit, config: { ...vit.config, gelu: c.gelu ?? vit.config.gelu ?? 'tanh' } };
}

/** A learner for the config's method: the backbone's parameters and the method's own, initialised. */
export function createLearner(c: L2PConfig, loaded: LoadedViT, numClasses: number, runtime: RuntimeOptions = {}): Learner {
  const vit = withGelu(c, loaded);
  try {
    const model = methodOf(c).create(c, vit, numClasses, runtime);
    const params = new Map([...vit.params, ...model.params]);
    const precision = c.compute_precision === 'fp16' ? { computePrecision: 'fp16' as const } : {};
    return new Learner(c, model, params, c.input_size, { ...runtime, ...precision });
  } catch (e) {
    throw e instanceof RangeError ? tooLarge(c, e) : e;
  }
}

/**
 * A model whose tensors cannot be allocated (an invalid typed-array length, an allocation that
 * failed) comes from a size in the config: the error names the largest one, with the allocator's words.
 */
function tooLarge(c: L2PConfig, e: RangeError): UserError {
  const sizes = flattenConfig(c).filter(([k, v]) => typeof v === 'number' && /(size|length|classes|top_k)$/.test(k) && !/batch|buffer/.test(k)) as [string, number][];
  const [key, value] = sizes.sort((a, b) => b[1] - a[1])[0] ?? ['?', NaN];
  return new UserError(`config key '${key}' = ${value}: the model's tensors are too large to allocate (${e.message})`);
}
