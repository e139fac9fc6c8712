// What an export may ask the server to allocate. A run's parameters are built from its config before
// the uploaded tensors are copied in, so a config asking for a pool of 10^6 prompts would take the
// memory first and be refused only after. Each method's own tensors grow with the pool sizes, prompt
// lengths, prompted layers and head width of the config: the bound below counts them from the config
// alone, without building anything, and refuses a run whose tensors could not travel in an upload.
import { numTotalClasses, type L2PConfig } from '../config/l2p.ts';
import { METHOD_KEYS } from '../methods/keys.ts';
import { decodeVariant } from '../vit/variants.ts';
import { Refused } from './guard.ts';

/** The largest request body the server reads. */
export const MAX_BODY = 64 << 20;

/**
 * An upload carries each trained float three times (the value and Adam's two moments), as base64 of
 * float32 (16/3 bytes each): a body of MAX_BODY holds at most MAX_BODY / 16 trained floats.
 */
export const MAX_METHOD_FLOATS = MAX_BODY / 16;

/**
 * At least the floats of the method's own parameters for config `c` (prompts, prefixes, keys,
 * components, head), for every method: L2P's pool [M, Lp, D] and keys [M, D]; DualPrompt's e-prompt
 * [layers, 2, M, Lp, D], keys [M, D] and g-prefix [depth, 2, Lg, D]; CODA-Prompt's components,
 * keys and attention [M, Lp + 2, D] per layer; APER's prompts [depth, P, D] and prototypes [2D, C];
 * RanPAC's projection [D, M] and ridge head [C, M]; HiDe-Prompt's TII MLP [D, rD], [rD, D] with its
 * biases and LayerNorm, and TII head [D, C] and [C]; the head [D, C] and [C].
 */
export function methodFloatsBound(c: L2PConfig): number {
  const vit = decodeVariant(c.model_name);
  const d = vit.hidden;
  const pp = c.prompt_pool_param;
  const eLayers = Math.max(1, c.e_prompt_layer_idx?.length ?? 0);
  // A method that reads no prompt_pool_param key (its table in src/methods/) builds no such pool.
  const readsPool = METHOD_KEYS[c.method].reads.some((k) => k.startsWith('prompt_pool_param.'));
  const pool = readsPool ? 2 * eLayers * pp.pool_size * (pp.length + 1) : 0;
  const g = c.g_prompt_length === undefined ? 0 : 2 * vit.depth * c.g_prompt_length;
  const coda = c.coda_prompt_param;
  const components = coda ? coda.layer_idx.length * coda.pool_size * (coda.length + 2) : 0;
  const vpt = c.prompt_token_num === undefined ? 0 : vit.depth * c.prompt_token_num + 2 * numTotalClasses(c);
  // RanPAC with a projection: W_rand [D, M] and the ridge head [M, C] in place of the [D, C] head
  const ranpac = c.M ? c.M * (d + numTotalClasses(c)) - d * (numTotalClasses(c) + 1) : 0;
  const r = c.original_model_mlp_structure?.[0] ?? 0;
  const tii = c.original_model_mlp_structure ? (r > 0 ? d * (2 * r * d + r + 3) : 0) + (d + 1) * numTotalClasses(c) : 0;
  return d * (numTotalClasses(c) + 1 + pool + g + components + vpt) + ranpac + tii;
}

/** Refuses, before anything is built, a config whose parameters exceed what an upload can carry. */
export function checkExportSize(c: L2PConfig): void {
  const n = methodFloatsBound(c);
  if (!(n <= MAX_METHOD_FLOATS)) {
    throw new Refused(400, `the config asks for about ${n.toPrecision(3)} parameter values (prompt_pool_param.pool_size ${c.prompt_pool_param.pool_size}, length ${c.prompt_pool_param.length}, ${numTotalClasses(c)} classes); an export holds at most ${MAX_METHOD_FLOATS}`);
  }
}
