// From a config to a ready learner: the backbone (official checkpoint or, without one, random weights
// with a warning), the L2P parameters, the model options.
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { loadViT, type LoadedViT } from '../vit/params.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';

export { createLearner, modelOptions, sharePromptSlots } from './setup.ts';

/** The backbone a config names; `warn` hears about random weights. */
export function backboneFor(c: L2PConfig, warn: (msg: string) => void): LoadedViT {
  const cfg = decodeVariant(c.model_name);
  const grid = c.input_size / cfg.patch;
  if (!Number.isInteger(grid)) throw new UserError(`input_size ${c.input_size} is not a multiple of ${c.model_name}'s patch ${cfg.patch}`);
  if (c.init_checkpoint) {
    const vit = loadViT(c.init_checkpoint, cfg);
    if (vit.numPatches !== grid * grid) {
      throw new UserError(`'${c.init_checkpoint}': position embedding for ${vit.numPatches} patches, but input_size ${c.input_size} gives ${grid * grid}`);
    }
    return vit;
  }
  warn(`init_checkpoint is not set: ${c.model_name} starts from random weights (set init_checkpoint=<ViT npz> for a pretrained backbone)`);
  return { config: cfg, numPatches: grid * grid, params: randomViT(cfg, grid * grid, c.seed) };
}
