// From a config to a ready learner: the backbone (official checkpoint or, without one, random weights
// with a warning), the L2P parameters, the model options.
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { initL2PParams } from '../l2p/init.ts';
import type { L2PModelOptions } from '../l2p/model.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import { loadViT, type LoadedViT } from '../vit/params.ts';
import { resizePosEmbedding } from '../vit/resize.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';
import { Learner } from './learner.ts';

/** The backbone a config names; `warn` hears about random weights. */
export function backboneFor(c: L2PConfig, warn: (msg: string) => void): LoadedViT {
  const cfg = decodeVariant(c.model_name);
  const grid = c.input_size / cfg.patch;
  if (!Number.isInteger(grid)) throw new UserError(`input_size ${c.input_size} is not a multiple of ${c.model_name}'s patch ${cfg.patch}`);
  if (c.init_checkpoint) {
    const vit = loadViT(c.init_checkpoint, cfg);
    if (vit.numPatches !== grid * grid) {
      // As the official loader: the grid of position embeddings resized, the class token's kept.
      const key = 'Transformer/posembed_input/pos_embedding';
      vit.params.set(key, resizePosEmbedding(vit.params.get(key)!, grid * grid, c.init_checkpoint));
      const side = (n: number) => `${Math.sqrt(n)}×${Math.sqrt(n)}`;
      warn(`'${c.init_checkpoint}': position embedding resized from a ${side(vit.numPatches)} to a ${side(grid * grid)} grid of patches for input_size ${c.input_size} (linear zoom, class token kept, as the official loader)`);
      return { ...vit, numPatches: grid * grid };
    }
    return vit;
  }
  warn(`init_checkpoint is not set: ${c.model_name} starts from random weights (set init_checkpoint=<ViT npz> for a pretrained backbone)`);
  return { config: cfg, numPatches: grid * grid, params: randomViT(cfg, grid * grid, c.seed) };
}

export function modelOptions(c: L2PConfig, vit: LoadedViT, numClasses: number): L2PModelOptions {
  const pp = c.prompt_pool_param;
  const shared = c.method === 'shared_prompt';
  return {
    vit: vit.config,
    numClasses,
    topK: shared ? 1 : pp.top_k,
    promptKey: pp.prompt_key && !shared,
    layout: c.prompt_layout,
    classifier: c.method === 'head_only' ? 'token' : c.vit_classifier,
    temperature: c.temperature,
    normPreLogits: c.norm_pre_logits,
    queryPrecision: c.query_precision ?? 'fp32',
    embeddingKey: pp.embedding_key,
  };
}

export function createLearner(c: L2PConfig, vit: LoadedViT, numClasses: number, runtime: RuntimeOptions = {}): Learner {
  const pp = c.prompt_pool_param;
  const shared = c.method === 'shared_prompt';
  const own = initL2PParams(
    {
      poolSize: shared ? 1 : pp.pool_size,
      length: pp.length,
      hidden: vit.config.hidden,
      numClasses,
      initializer: pp.initializer,
      keyInit: pp.prompt_key_init,
      promptKey: pp.prompt_key && !shared,
      seed: c.seed,
    },
    c.method !== 'head_only' && c.prompt_pool,
  );
  const params = new Map([...vit.params, ...own]);
  return new Learner(c, c.method, modelOptions(c, vit, numClasses), params, c.input_size, runtime);
}

/** Official shared_prompt_pool / shared_prompt_key: before task t > 0, slot t−1's prompts (keys) go to slot t. */
export function sharePromptSlots(c: L2PConfig, learner: Learner, t: number): void {
  const pp = c.prompt_pool_param;
  if (t === 0 || c.method !== 'l2p') return;
  const n = pp.top_k;
  const [prev, cur, end] = [(t - 1) * n, t * n, (t + 1) * n];
  const copyRows = (path: string, rowSize: number) => {
    const p = learner.params.get(path);
    if (p) p.data.copyWithin(cur * rowSize, prev * rowSize, cur * rowSize);
  };
  const d = learner.model.vit.hidden;
  if (pp.shared_prompt_pool && end <= pp.pool_size) copyRows('prompt_pool/prompt', pp.length * d);
  // The official key copy has no pool-size check; past the pool there is nothing to copy into.
  if (pp.prompt_key && pp.shared_prompt_key && end <= pp.pool_size) copyRows('prompt_pool/key', d);
}
