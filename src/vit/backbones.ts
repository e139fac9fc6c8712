// Pretrained backbones by name, usable as model_name: each names the ViT size it holds, the family
// of parameter names its file uses, where its authors publish it and the pixel normalisation it was
// pretrained with. docs/backbones.md is this table in words.
import type { BackboneFamily } from './layout.ts';

export interface KnownBackbone {
  /** The ViT size, as the variants table decodes it. */
  variant: string;
  family: BackboneFamily;
  /** Where the authors publish the file. */
  source: string;
  /** Per-channel mean and std the pretraining normalised pixels in [0, 1] with: (x − mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
}

const HALF: [number, number, number] = [0.5, 0.5, 0.5];
const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export const KNOWN_BACKBONES: Record<string, KnownBackbone> = {
  // The official JAX code maps pixels to [-1, 1], i.e. mean 0.5, std 0.5.
  'ViT-B_16': { variant: 'B/16', family: 'official', source: 'https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz', mean: HALF, std: HALF },
  'vit_base_patch16_224.augreg_in21k': { variant: 'B/16', family: 'timm', source: 'https://huggingface.co/timm/vit_base_patch16_224.augreg_in21k (model.safetensors)', mean: HALF, std: HALF },
  'vit_base_patch16_224.augreg2_in21k_ft_in1k': { variant: 'B/16', family: 'timm', source: 'https://huggingface.co/timm/vit_base_patch16_224.augreg2_in21k_ft_in1k (model.safetensors)', mean: HALF, std: HALF },
  'vit_base_patch16_224.orig_in21k': { variant: 'B/16', family: 'timm', source: 'https://huggingface.co/timm/vit_base_patch16_224.orig_in21k (model.safetensors)', mean: HALF, std: HALF },
  'google/vit-base-patch16-224-in21k': { variant: 'B/16', family: 'transformers', source: 'https://huggingface.co/google/vit-base-patch16-224-in21k (model.safetensors)', mean: HALF, std: HALF },
  dino_vitb16: { variant: 'B/16', family: 'timm', source: 'https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth', mean: IMAGENET_MEAN, std: IMAGENET_STD },
  mocov3_vitb16: { variant: 'B/16', family: 'timm', source: 'https://dl.fbaipublicfiles.com/moco-v3/vit-b-300ep/vit-b-300ep.pth.tar', mean: IMAGENET_MEAN, std: IMAGENET_STD },
  ibot_vitb16: { variant: 'B/16', family: 'timm', source: 'https://lf3-nlp-opensource.bytetos.com/obj/nlp-opensource/archive/2022/ibot/vitb_16/checkpoint_teacher.pth', mean: IMAGENET_MEAN, std: IMAGENET_STD },
  // The backbone-only file: the full checkpoint.pth beside it pickles argparse.Namespace, which is refused.
  ibot_vitb16_in22k: { variant: 'B/16', family: 'timm', source: 'https://lf3-nlp-opensource.bytetos.com/obj/nlp-opensource/archive/2022/ibot/vitb_16_pt22k/checkpoint_student.pth', mean: IMAGENET_MEAN, std: IMAGENET_STD },
};

const FAMILY_NAMES: Record<BackboneFamily, string> = { official: 'the official JAX layout', timm: "timm's names", transformers: "transformers' names" };
const triple = (v: readonly number[]) => `(${v.join(', ')})`;

/**
 * What a run prints when model_name names a pretrained backbone: its pretraining normalisation
 * (this code, as the official one with norm_01, feeds every backbone pixels in [0, 1]), and a
 * warning when the file holds another family's names than the table says.
 */
export function knownBackboneNotes(modelName: string, family: BackboneFamily): { info: string[]; warn: string[] } {
  const k = KNOWN_BACKBONES[modelName];
  if (!k) return { info: [], warn: [] };
  const info = [`model_name '${modelName}' was pretrained on pixels normalised as (x - ${triple(k.mean)}) / ${triple(k.std)}; runs here feed pixels in [0, 1] (norm_01), as the official code does`];
  const warn = k.family === family ? [] : [`model_name '${modelName}' is published in ${FAMILY_NAMES[k.family]}, but init_checkpoint holds ${FAMILY_NAMES[family]}`];
  return { info, warn };
}
