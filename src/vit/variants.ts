// ViT sizes by name, as big_vision's decode_variant: 'B/16' -> width, depth, heads, MLP width, patch.
import { UserError } from '../errors.ts';
import type { Gelu } from '../graph/index.ts';
import { KNOWN_BACKBONES } from './backbones.ts';

export interface ViTConfig {
  hidden: number;
  depth: number;
  heads: number;
  mlp: number;
  patch: number;
  /**
   * The MLP's GELU: 'tanh' (the official JAX ViT's, our glyph backbone's) or 'erf' (PyTorch's exact
   * form: timm's and transformers' checkpoints, which the loader marks so). Unset: 'tanh'.
   */
  gelu?: Gelu;
}

const SIZES: Record<string, Omit<ViTConfig, 'patch'>> = {
  // 'mu': a test size, small enough for float64 reference checks and second-long smoke runs.
  mu: { hidden: 48, depth: 2, heads: 3, mlp: 96 },
  // 'nano': the backbone pretrained here on rendered glyphs (a few MB), for the offline demo.
  nano: { hidden: 128, depth: 6, heads: 4, mlp: 256 },
  Ti: { hidden: 192, depth: 12, heads: 3, mlp: 768 },
  S: { hidden: 384, depth: 12, heads: 6, mlp: 1536 },
  B: { hidden: 768, depth: 12, heads: 12, mlp: 3072 },
  L: { hidden: 1024, depth: 24, heads: 16, mlp: 4096 },
};

/** 'B/16', 'ViT-B_16', 'ViT-B/16', or a pretrained backbone's name (backbones.ts) -> sizes. */
export function decodeVariant(name: string): ViTConfig {
  const known = KNOWN_BACKBONES[name.trim()];
  if (known) return decodeVariant(known.variant);
  const m = /^(?:ViT-)?([A-Za-z]+)[/_](\d+)$/.exec(name.trim());
  const size = m ? SIZES[m[1]] : undefined;
  if (!m || !size) {
    throw new UserError(`unknown ViT variant '${name}' (known: ${Object.keys(SIZES).map((s) => `${s}/16`).join(', ')}; patch 8, 16 or 32; or a pretrained backbone: ${Object.keys(KNOWN_BACKBONES).join(', ')})`);
  }
  return { ...size, patch: Number(m[2]) };
}

/** The table's name for a ViT of these sizes ('ViT-B_16'), or undefined; the head count is the table's. */
export function variantName(cfg: Omit<ViTConfig, 'heads'>): string | undefined {
  const size = Object.entries(SIZES).find(([, s]) => s.hidden === cfg.hidden && s.depth === cfg.depth && s.mlp === cfg.mlp);
  return size ? `ViT-${size[0]}_${cfg.patch}` : undefined;
}
