// Frozen-backbone features for a stack of images, in fixed-size chunks so memory stays bounded.
import * as g from '../graph/index.ts';
import { UserError } from '../errors.ts';
import { compile, type RuntimeOptions } from '../runtime/ort.ts';
import { bindParams } from './bind.ts';
import { forwardFeatures } from './model.ts';
import type { LoadedViT } from './params.ts';

/** Checks that [B, H, W, 3] images fit the backbone's patch grid; `source` names them in errors. */
export function checkImages(vit: LoadedViT, shape: readonly number[], source: string): void {
  const { patch } = vit.config;
  if (shape.length !== 4 || shape[3] !== 3) {
    throw new UserError(`${source}: images must be [B, H, W, 3], got [${shape.join(', ')}]`);
  }
  const [, h, w] = shape;
  if (h % patch !== 0 || w % patch !== 0 || (h / patch) * (w / patch) !== vit.numPatches) {
    throw new UserError(
      `${source}: ${h}x${w} images do not fit the checkpoint (patch ${patch}, position embedding for ${vit.numPatches} patches)`,
    );
  }
}

/** pre_logits [B, D] of images [B, H, W, 3] in [0, 1]. */
export async function preLogits(
  vit: LoadedViT,
  images: Float32Array,
  shape: readonly number[],
  opts: RuntimeOptions & { batch?: number } = {},
): Promise<Float32Array> {
  const [n, h, w, c] = shape;
  const d = vit.config.hidden;
  const per = h * w * c;
  const chunk = Math.max(1, Math.min(opts.batch ?? 32, n));
  const { p } = bindParams(vit.params, () => false);
  const out = new Float32Array(n * d);
  for (let start = 0; start < n; start += chunk) {
    const b = Math.min(chunk, n - start);
    const x = g.input('images', [b, h, w, c]);
    const session = await compile({ pre_logits: forwardFeatures(p, vit.config, x).preLogits }, opts);
    const r = await session.run({ images: { shape: [b, h, w, c], data: images.subarray(start * per, (start + b) * per) } });
    out.set(r.pre_logits.data as Float32Array, start * d);
  }
  return out;
}
