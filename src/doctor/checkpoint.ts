// The backbone a config names: a random one only where backboneInit allows it, else the checkpoint
// file loaded as the run will load it (strict keys and shapes for the config's variant), with its
// format read from its first bytes.
import { closeSync, openSync, readSync } from 'node:fs';
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { backboneInit, missingCheckpointFix } from '../train/backbone-init.ts';
import { checkpointPath } from '../train/experiment.ts';
import { loadViT } from '../vit/params.ts';
import { decodeVariant } from '../vit/variants.ts';
import { type Check, fail, pass } from './check.ts';

/** A checkpoint's container, from its first bytes: a zip of .npy entries (npz), another zip (PyTorch), safetensors. */
export function checkpointFormat(file: string): string {
  const head = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 30 && head.readUInt32LE(0) === 0x04034b50) {
    const name = head.subarray(30, Math.min(n, 30 + head.readUInt16LE(26))).toString('latin1');
    return name.endsWith('.npy') ? 'npz' : 'zip (PyTorch)';
  }
  if (n > 8 && head[8] === 0x7b) return 'safetensors';
  return 'unknown';
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
    const format = checkpointFormat(file);
    const { config: v, numPatches, params } = loadViT(file, decodeVariant(c.model_name));
    const side = Math.sqrt(numPatches);
    const grid = c.input_size / v.patch;
    const resized = numPatches !== grid * grid ? `, resized to ${grid}×${grid} for input_size ${c.input_size}` : '';
    return pass(name, `${file}: ${format}, ${c.model_name} (hidden ${v.hidden}, depth ${v.depth}, heads ${v.heads}, mlp ${v.mlp}, patch ${v.patch}), ${side}×${side} position embeddings${resized}, ${params.size} arrays, every shape as expected`);
  } catch (e) {
    const why = e instanceof UserError ? e.message : `'${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message}`;
    return fail(name, why, `pass a ${c.model_name} checkpoint with --set init_checkpoint=PATH (docs/configs.md)`, true);
  }
}
