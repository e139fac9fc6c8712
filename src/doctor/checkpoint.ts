// The backbone a config names: a random one only where backboneInit allows it, else a checkpoint
// file whose format, variant and shapes are checked as the run will load it (no weights are read).
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { NpzReader } from '../io/npz.ts';
import { backboneInit, missingCheckpointFix } from '../train/backbone-init.ts';
import { checkpointPath } from '../train/experiment.ts';
import { checkViT } from '../vit/layout.ts';
import { decodeVariant } from '../vit/variants.ts';
import { type Check, fail, pass } from './check.ts';

/** The entries' shapes of a checkpoint file and its format's name. */
function entryShapes(file: string): { format: string; shapes: Map<string, number[]> } {
  const npz = NpzReader.open(file);
  try {
    const shapes = new Map<string, number[]>();
    for (const k of npz.keys()) shapes.set(k, npz.info(k).shape);
    return { format: 'npz (the official JAX layout)', shapes };
  } finally {
    npz.close();
  }
}

export function checkpointCheck(c: L2PConfig): Check {
  const name = 'checkpoint';
  let init: ReturnType<typeof backboneInit>;
  try {
    init = backboneInit(c);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return fail(name, `init_checkpoint is not set and ${c.model_name} needs pretrained weights`, missingCheckpointFix(), true);
  }
  if ('random' in init) return pass(name, `none: ${c.model_name} starts from random weights (${init.random === 'asked' ? "init_checkpoint 'random'" : 'a test size that exists only so'})`);
  const file = checkpointPath(init.checkpoint);
  try {
    const { format, shapes } = entryShapes(file);
    const { config: v, numPatches } = checkViT(shapes, file, decodeVariant(c.model_name));
    const grid = Math.sqrt(numPatches);
    const resized = numPatches !== (c.input_size / v.patch) ** 2 ? `, resized to ${c.input_size / v.patch}×${c.input_size / v.patch} for input_size ${c.input_size}` : '';
    return pass(name, `${file}: ${format}, ${c.model_name} (hidden ${v.hidden}, depth ${v.depth}, heads ${v.heads}, mlp ${v.mlp}, patch ${v.patch}), ${grid}×${grid} position embeddings${resized}, ${shapes.size} arrays, every shape as expected`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return fail(name, e.message, `pass a ${c.model_name} checkpoint in the official npz layout with --set init_checkpoint=PATH (docs/configs.md)`, true);
  }
}
