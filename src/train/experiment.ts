// From a config to a ready learner: the backbone (a checkpoint, or random weights where backboneInit
// allows them), the method's parameters and model.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { packageRoot } from '../package-root.ts';
import { describeBackbone, loadViT, type LoadedViT } from '../vit/params.ts';
import { knownBackboneNotes } from '../vit/backbones.ts';
import { resizePosEmbedding } from '../vit/resize.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';
import { backboneInit } from './backbone-init.ts';

export { createLearner, modelOptions } from './setup.ts';
export { backboneInit, RANDOM_INIT } from './backbone-init.ts';

/**
 * Where an init_checkpoint is read from: as given, except a relative `models/…` path that the working
 * directory lacks and the package ships (the Split-MNIST presets' glyph backbone), which is read from
 * the package, so that `getPreset('split_mnist_l2p')` works from any directory.
 */
export function checkpointPath(p: string): string {
  if (isAbsolute(p) || existsSync(p) || !p.startsWith('models/')) return p;
  const shipped = join(packageRoot(), p);
  return existsSync(shipped) ? shipped : p;
}

/**
 * The backbone a config names: init_checkpoint in any of the formats loadViT reads, else random
 * weights. `warn` hears about random weights and resized position embeddings, `info` what was loaded.
 */
export function backboneFor(c: L2PConfig, warn: (msg: string) => void, info: (msg: string) => void = () => {}): LoadedViT {
  const cfg = decodeVariant(c.model_name);
  const grid = c.input_size / cfg.patch;
  if (!Number.isInteger(grid)) throw new UserError(`input_size ${c.input_size} is not a multiple of ${c.model_name}'s patch ${cfg.patch}`);
  const init = backboneInit(c);
  if ('checkpoint' in init) {
    const file = checkpointPath(init.checkpoint);
    const vit = loadViT(file, cfg);
    info(describeBackbone(file, vit));
    const notes = knownBackboneNotes(c.model_name, vit.family ?? 'official');
    notes.info.forEach(info);
    notes.warn.forEach(warn);
    if (vit.numPatches !== grid * grid) {
      // As the official loader: the grid of position embeddings resized, the class token's kept.
      const key = 'Transformer/posembed_input/pos_embedding';
      vit.params.set(key, resizePosEmbedding(vit.params.get(key)!, grid * grid, file));
      const side = (n: number) => `${Math.sqrt(n)}×${Math.sqrt(n)}`;
      warn(`'${file}': position embedding resized from a ${side(vit.numPatches)} to a ${side(grid * grid)} grid of patches for input_size ${c.input_size} (linear zoom, class token kept, as the official loader)`);
      return { ...vit, numPatches: grid * grid };
    }
    return vit;
  }
  warn(init.random === 'asked' ? `init_checkpoint is '${c.init_checkpoint}': ${c.model_name} starts from random weights` : `${c.model_name} is a test size that exists only as random weights: the backbone starts from random weights`);
  return { config: cfg, numPatches: grid * grid, params: randomViT(cfg, grid * grid, c.seed) };
}
