// `l2p features`: the frozen ViT's pre_logits for a batch of images.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { NpzReader, writeNpy } from '../io/npz.ts';
import { toFloat32 } from '../io/npy.ts';
import { disposeAll } from '../runtime/ort.ts';
import { checkImages, preLogits } from '../vit/features.ts';
import type { Gelu } from '../graph/index.ts';
import { describeBackbone, loadViT } from '../vit/params.ts';
import { optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';

const HELP = `usage: l2p features --checkpoint <vit> --images <images.npz> --out <out.npy> [--heads N] [--gelu tanh|erf] [--batch N] [--threads N] [--device cpu|webgpu]

Writes the frozen backbone's pre_logits [B, D] (float32): the encoder_norm output at the class token.
  --checkpoint  a ViT: the official npz layout (ViT-B_16.npz and the like), or timm's or transformers'
                names in a safetensors file or a PyTorch zip (torch.save); docs/backbones.md
  --heads       the head count of a timm or transformers ViT (default: width / 64)
  --images      an npz whose 'images' entry (or only entry) is [B, H, W, 3] float32 in [0, 1]
  --out         the .npy file to write
  --gelu        the MLP activation: 'tanh' (the official JAX checkpoints') or 'erf' (timm's, exact);
                default: the checkpoint family's (tanh for the official npz layout)
  --batch       images per forward pass (default 32)
  --threads     ONNX Runtime intra-op threads (default: one per core)
${DEVICE_HELP.replace('--device   ', '--device     ')}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      images: { type: 'string' },
      out: { type: 'string' },
      heads: { type: 'string' },
      gelu: { type: 'string' },
      batch: { type: 'string' },
      threads: { type: 'string' },
      device: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  for (const k of ['checkpoint', 'images', 'out'] as const) {
    if (!values[k]) throw new UserError(`--${k} is required\n\n${HELP}`);
  }
  const gelu = values.gelu;
  if (gelu !== undefined && gelu !== 'tanh' && gelu !== 'erf') throw new UserError(`--gelu must be 'tanh' or 'erf', got '${gelu}'`);
  const loaded = loadViT(values.checkpoint!, undefined, { heads: optionalInt(values.heads, '--heads') });
  const vit = gelu === undefined ? loaded : { ...loaded, config: { ...loaded.config, gelu: gelu as Gelu } };
  console.log(describeBackbone(values.checkpoint!, vit));
  const npz = NpzReader.open(values.images!);
  let images: Float32Array;
  let shape: number[];
  try {
    const keys = npz.keys();
    const key = keys.includes('images') ? 'images' : keys.length === 1 ? keys[0] : undefined;
    if (!key) throw new UserError(`'${values.images}' has no 'images' entry (entries: ${keys.join(', ')})`);
    shape = npz.info(key).shape;
    checkImages(vit, shape, `'${values.images}' entry '${key}'`);
    images = toFloat32(npz.read(key), `'${values.images}' entry '${key}'`);
  } finally {
    npz.close();
  }
  const batch = optionalInt(values.batch, '--batch');
  const threads = optionalInt(values.threads, '--threads');
  const device = deviceOption(values.device);
  try {
    const out = await preLogits(vit, images, shape, { batch, threads, device });
    writeNpy(values.out!, { dtype: 'float32', shape: [shape[0], vit.config.hidden], data: out });
  } finally {
    await disposeAll();
  }
  console.log(`wrote pre_logits [${shape[0]}, ${vit.config.hidden}] to ${values.out}`);
  return 0;
}
