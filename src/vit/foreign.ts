// timm's VisionTransformer and transformers' ViTModel parameter names onto our ViT's (the official
// layout of layout.ts): fused qkv split into query, key and value; Linear weights [out, in]
// transposed to kernels [in, out]; the patch convolution's OIHW weight to HWIO. The sizes come from
// the shapes, the head count from a documented rule (head width 64) unless the caller gives it.
import { UserError } from '../errors.ts';
import type { TensorArchive } from '../io/tensor-archive.ts';
import { checkViT, type LoadedViT, type Params } from './layout.ts';
import type { ViTConfig } from './variants.ts';

export type ForeignFamily = 'timm' | 'transformers';
/** Heads = width / 64 unless given: the head width of ViT-Ti, S, B and L in timm and transformers. */
export const HEAD_WIDTH = 64;

/** Per family: the key that finds the backbone (its prefix is everything before it) and the names relative to that prefix. */
const FAMILIES: Record<ForeignFamily, { anchor: string; names: (i: number) => BlockNames; top: TopNames; ignored: RegExp[] }> = {
  timm: {
    anchor: 'patch_embed.proj.weight',
    top: { patch: 'patch_embed.proj', cls: 'cls_token', pos: 'pos_embed', norm: 'norm' },
    names: (i) => {
      const b = `blocks.${i}.`;
      return { ln1: `${b}norm1`, qkv: `${b}attn.qkv`, out: `${b}attn.proj`, ln2: `${b}norm2`, fc1: `${b}mlp.fc1`, fc2: `${b}mlp.fc2` };
    },
    // The classifier, the old in21k representation layer, iBOT's mask token: none reaches pre_logits.
    ignored: [/^head\./, /^pre_logits\./, /^masked_embed$/],
  },
  transformers: {
    anchor: 'embeddings.patch_embeddings.projection.weight',
    top: { patch: 'embeddings.patch_embeddings.projection', cls: 'embeddings.cls_token', pos: 'embeddings.position_embeddings', norm: 'layernorm' },
    names: (i) => {
      const b = `encoder.layer.${i}.`;
      return {
        ln1: `${b}layernorm_before`, q: `${b}attention.attention.query`, k: `${b}attention.attention.key`, v: `${b}attention.attention.value`,
        out: `${b}attention.output.dense`, ln2: `${b}layernorm_after`, fc1: `${b}intermediate.dense`, fc2: `${b}output.dense`,
      };
    },
    ignored: [/^pooler\./, /^embeddings\.mask_token$/],
  },
};
interface TopNames { patch: string; cls: string; pos: string; norm: string }
interface BlockNames { ln1: string; qkv?: string; q?: string; k?: string; v?: string; out: string; ln2: string; fc1: string; fc2: string }

/** Variants our ViT does not compute, found by a tensor's name: refused with the reason. */
const REFUSED: [RegExp, string][] = [
  [/^fc_norm\./, 'a global-pool variant (fc_norm): our ViT reads the class token after the final norm'],
  [/^norm_pre\./, 'a norm before the blocks (norm_pre, CLIP-style)'],
  [/\.ls[12]\.|\.lambda_[12]$|layer_scale/, 'LayerScale'],
  [/^(dist_token|head_dist\.)/, 'a distilled DeiT (dist_token)'],
  [/^reg_token$/, 'register tokens'],
  [/\.(q_norm|k_norm)\./, 'query/key normalisation'],
  [/^attn_pool\./, 'attention pooling'],
];

function fmt(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** The family and prefix of the backbone in `archive`, or undefined when none of the families' names is there. */
export function findBackbone(archive: TensorArchive): { family: ForeignFamily; prefix: string } | undefined {
  for (const family of Object.keys(FAMILIES) as ForeignFamily[]) {
    const { anchor } = FAMILIES[family];
    const prefixes = [...archive.tensors.keys()].filter((k) => k === anchor || k.endsWith(`.${anchor}`)).map((k) => k.slice(0, k.length - anchor.length));
    if (prefixes.length === 0) continue;
    // Self-supervised checkpoints hold two copies: DINO's and iBOT's teacher and student, MoCo v3's
    // base and momentum encoders; their authors evaluate the teacher and the base encoder.
    const chosen = prefixes.length === 1 ? prefixes[0] : prefixes.find((p) => /(^|\.)(teacher|base_encoder)\./.test(p));
    if (chosen === undefined) {
      throw new UserError(`'${archive.path}' holds ${prefixes.length} ${family} backbones (${prefixes.map((p) => `'${p}'`).join(', ')}); save the one to use alone`);
    }
    return { family, prefix: chosen };
  }
  return undefined;
}

/**
 * Reads a timm or transformers ViT from `archive` into our layout. `expect` (a variant from
 * model_name) must match the stored sizes and gives the head count; `heads` overrides it.
 */
export function foreignViT(archive: TensorArchive, found: { family: ForeignFamily; prefix: string }, expect?: ViTConfig, heads?: number): LoadedViT & { family: ForeignFamily } {
  const { family, prefix } = found;
  const file = archive.path;
  const spec = FAMILIES[family];
  const own = new Map<string, number[]>();
  for (const [k, t] of archive.tensors) if (k.startsWith(prefix)) own.set(k.slice(prefix.length), t.shape);
  for (const k of own.keys()) {
    const hit = REFUSED.find(([re]) => re.test(k));
    if (hit) throw new UserError(`'${file}': tensor '${prefix}${k}' ${fmt(own.get(k)!)} marks ${hit[1]}, which our ViT does not compute`);
  }
  const need = (k: string, rank: number): number[] => {
    const s = own.get(k);
    if (!s) throw new UserError(`'${file}': ${family} tensor '${prefix}${k}' is missing`);
    if (s.length !== rank) throw new UserError(`'${file}': tensor '${prefix}${k}' has shape ${fmt(s)}, expected rank ${rank}`);
    return s;
  };
  const [d, c, p] = need(`${spec.top.patch}.weight`, 4);
  if (c !== 3) throw new UserError(`'${file}': tensor '${prefix}${spec.top.patch}.weight' ${fmt(own.get(`${spec.top.patch}.weight`)!)} takes ${c} input channels, not 3`);
  const numPatches = need(spec.top.pos, 3)[1] - 1;
  const mlp = need(`${spec.names(0).fc1}.weight`, 2)[0];
  let depth = 0;
  while (own.has(`${spec.names(depth).ln1}.weight`)) depth++;
  const inferred = { hidden: d, depth, mlp, patch: p };
  if (expect && (Object.keys(inferred) as (keyof typeof inferred)[]).some((k) => inferred[k] !== expect[k])) {
    const say = (x: typeof inferred) => `width ${x.hidden}, depth ${x.depth}, MLP ${x.mlp}, patch ${x.patch}`;
    throw new UserError(`'${file}' holds a ViT of ${say(inferred)}; model_name asks for ${say(expect)}`);
  }
  const h = heads ?? expect?.heads ?? d / HEAD_WIDTH;
  if (!Number.isInteger(h) || h < 1 || d % h !== 0) {
    throw new UserError(`'${file}': width ${d} does not split into ${heads ?? expect?.heads ?? `width/${HEAD_WIDTH}`} heads; give the head count (a model_name variant, or --heads)`);
  }
  const config: ViTConfig = { ...inferred, heads: h };
  const want = expectedForeign(family, config, numPatches);
  for (const [k, shape] of want) {
    const got = own.get(k);
    if (!got) throw new UserError(`'${file}': ${family} tensor '${prefix}${k}' is missing (expected shape ${fmt(shape)})`);
    if (fmt(got) !== fmt(shape)) throw new UserError(`'${file}': tensor '${prefix}${k}' has shape ${fmt(got)}, expected ${fmt(shape)}`);
  }
  for (const [k, shape] of own) {
    if (!want.has(k) && !spec.ignored.some((re) => re.test(k))) throw new UserError(`'${file}': unexpected tensor '${prefix}${k}' ${fmt(shape)} (not part of a ${family} ViT of depth ${depth})`);
  }
  const read = (k: string) => archive.read(prefix + k);
  const params = convert(family, config, numPatches, read);
  checkViT(new Map([...params].map(([k, v]) => [k, v.shape])), file, config);
  // The family was trained with PyTorch's exact GELU; a gelu config key, when set, overrides it.
  return { config: { ...config, gelu: 'erf' }, numPatches, params, family };
}

/** Every tensor a `family` ViT of `cfg` holds, with its shape, relative to the prefix. */
function expectedForeign(family: ForeignFamily, cfg: ViTConfig, numPatches: number): Map<string, number[]> {
  const { hidden: d, mlp, patch: p } = cfg;
  const spec = FAMILIES[family];
  const s = new Map<string, number[]>();
  const linear = (n: string, out: number, inp: number) => {
    s.set(`${n}.weight`, [out, inp]);
    s.set(`${n}.bias`, [out]);
  };
  const norm = (n: string) => {
    s.set(`${n}.weight`, [d]);
    s.set(`${n}.bias`, [d]);
  };
  s.set(`${spec.top.patch}.weight`, [d, 3, p, p]);
  s.set(`${spec.top.patch}.bias`, [d]);
  s.set(spec.top.cls, [1, 1, d]);
  s.set(spec.top.pos, [1, numPatches + 1, d]);
  for (let i = 0; i < cfg.depth; i++) {
    const n = spec.names(i);
    norm(n.ln1);
    if (n.qkv) linear(n.qkv, 3 * d, d);
    else for (const x of [n.q!, n.k!, n.v!]) linear(x, d, d);
    linear(n.out, d, d);
    norm(n.ln2);
    linear(n.fc1, mlp, d);
    linear(n.fc2, d, mlp);
  }
  norm(spec.top.norm);
  return s;
}

/** rows × cols of `w` (row-major) starting at row `from`, transposed: [in, out] from [out, in]. */
function transposed(w: Float32Array, rows: number, cols: number, from = 0): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[(from + r) * cols + c];
  return out;
}

function convert(family: ForeignFamily, cfg: ViTConfig, numPatches: number, read: (k: string) => Float32Array): Params {
  const { hidden: d, heads: h, mlp, patch: p } = cfg;
  const hd = d / h;
  const spec = FAMILIES[family];
  const params: Params = new Map();
  const set = (k: string, shape: number[], data: Float32Array) => params.set(k, { shape, data });
  // OIHW [D, 3, P, P] -> HWIO [P, P, 3, D]: the patch embedding flattens patches as (row, col, channel).
  const conv = read(`${spec.top.patch}.weight`);
  const kernel = new Float32Array(conv.length);
  for (let o = 0; o < d; o++) for (let ch = 0; ch < 3; ch++) for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) {
    kernel[((r * p + c) * 3 + ch) * d + o] = conv[((o * 3 + ch) * p + r) * p + c];
  }
  set('embedding/kernel', [p, p, 3, d], kernel);
  set('embedding/bias', [d], read(`${spec.top.patch}.bias`));
  set('cls', [1, 1, d], read(spec.top.cls));
  set('Transformer/posembed_input/pos_embedding', [1, numPatches + 1, d], read(spec.top.pos));
  for (let i = 0; i < cfg.depth; i++) {
    const n = spec.names(i);
    const b = `Transformer/encoderblock_${i}/`;
    const a = `${b}MultiHeadDotProductAttention_1/`;
    set(`${b}LayerNorm_0/scale`, [d], read(`${n.ln1}.weight`));
    set(`${b}LayerNorm_0/bias`, [d], read(`${n.ln1}.bias`));
    // Output features are ordered (head, head_dim) in both layouts, so a kernel [D, D] is [D, H, hd].
    const fused = n.qkv ? { w: read(`${n.qkv}.weight`), b: read(`${n.qkv}.bias`) } : undefined;
    (['query', 'key', 'value'] as const).forEach((x, j) => {
      const own = [n.q, n.k, n.v][j];
      const w = fused ? transposed(fused.w, d, d, j * d) : transposed(read(`${own}.weight`), d, d);
      const bias = fused ? fused.b.slice(j * d, (j + 1) * d) : read(`${own}.bias`);
      set(`${a}${x}/kernel`, [d, h, hd], w);
      set(`${a}${x}/bias`, [h, hd], bias);
    });
    set(`${a}out/kernel`, [h, hd, d], transposed(read(`${n.out}.weight`), d, d));
    set(`${a}out/bias`, [d], read(`${n.out}.bias`));
    set(`${b}LayerNorm_2/scale`, [d], read(`${n.ln2}.weight`));
    set(`${b}LayerNorm_2/bias`, [d], read(`${n.ln2}.bias`));
    set(`${b}MlpBlock_3/Dense_0/kernel`, [d, mlp], transposed(read(`${n.fc1}.weight`), mlp, d));
    set(`${b}MlpBlock_3/Dense_0/bias`, [mlp], read(`${n.fc1}.bias`));
    set(`${b}MlpBlock_3/Dense_1/kernel`, [mlp, d], transposed(read(`${n.fc2}.weight`), d, mlp));
    set(`${b}MlpBlock_3/Dense_1/bias`, [d], read(`${n.fc2}.bias`));
  }
  set('Transformer/encoder_norm/scale', [d], read(`${spec.top.norm}.weight`));
  set('Transformer/encoder_norm/bias', [d], read(`${spec.top.norm}.bias`));
  return params;
}
