// The frozen query: the un-prompted backbone's pre_logits (its class token after the encoder), which
// prompt methods select with and evaluation caches per test image; and the graph that computes it alone.
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import { bindParams } from './bind.ts';
import { embed, encode, type ParamFn } from './model.ts';
import type { Params } from './params.ts';
import type { ViTConfig } from './variants.ts';

export interface QueryOptions {
  vit: ViTConfig;
  /** The query's arithmetic: fp32 (default), or int8 dense layers (opt-in, faster). */
  queryPrecision?: 'fp32' | 'int8';
}

/** The frozen, un-prompted backbone's pre_logits [B, D]; `x0` reuses an embedding already built. */
export function queryOf(pq: ParamFn, o: QueryOptions, images: Tensor, x0?: Tensor): Tensor {
  const dense = o.queryPrecision === 'int8' ? g.qdense : undefined;
  const x = x0 ?? embed(pq, o.vit, images, dense);
  const [b, , d] = x.shape;
  return g.reshape(g.slice(encode(pq, o.vit, x, dense), 1, 0, 1), [b, d]);
}

/** The query alone, of a batch of images fed as 'images': output 'query' [B, D]. */
export function buildQueryStep(backbone: Params, spec: { batch: number; imageSize: [number, number]; model: QueryOptions }) {
  const { p } = bindParams(backbone, () => false);
  const [h, w] = spec.imageSize;
  const images = g.input('images', [spec.batch, h, w, 3]);
  return { outputs: { query: queryOf(p, spec.model, images) }, trained: [] as Tensor[], gradPaths: [] as string[], feedsNeeded: ['images'] };
}
