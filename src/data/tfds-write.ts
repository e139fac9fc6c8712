// Writes a TFDS builder directory as TFDS itself lays one out: dataset_info.json, features.json
// (an Image feature of PNGs, a ClassLabel), label.labels.txt with the class names, and one TFRecord
// shard of tf.train.Example records per split. src/data/tfds.ts reads it back (dataset 'tfds'); the
// page's export writes the examples drawn or dropped in the page this way (src/web/server.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeExample } from '../io/example.ts';
import { encodeTFRecord } from '../io/tfrecord.ts';
import { encodePng } from './image.ts';
import type { Pixels } from './types.ts';

export interface LabelledImage {
  pixels: Pixels;
  label: number;
}

export interface TfdsBuilder {
  name: string;
  version: string;
  /** Class names by label; their count is the ClassLabel's num_classes. */
  classes: string[];
  /** Records of each split, in stored order. */
  splits: Record<string, LabelledImage[]>;
}

/** Writes `dir` (created) as the builder directory of `b`; all images must share one shape. */
export async function writeTfdsBuilder(dir: string, b: TfdsBuilder): Promise<void> {
  const all = Object.values(b.splits).flat();
  const first = all[0]?.pixels;
  if (!first) throw new RangeError('a TFDS builder needs at least one example');
  for (const e of all) {
    const p = e.pixels;
    if (p.height !== first.height || p.width !== first.width || p.channels !== first.channels) throw new RangeError(`images of ${p.height}×${p.width}×${p.channels} and ${first.height}×${first.width}×${first.channels} in one Image feature`);
    if (!(Number.isInteger(e.label) && e.label >= 0 && e.label < b.classes.length)) throw new RangeError(`label ${e.label} outside the ${b.classes.length} classes`);
  }
  mkdirSync(dir, { recursive: true });
  const splits = [];
  for (const [split, examples] of Object.entries(b.splits)) {
    const frames: Uint8Array[] = [];
    for (const e of examples) {
      const png = await encodePng(e.pixels);
      frames.push(encodeTFRecord(encodeExample({ image: { kind: 'bytes', values: [png] }, label: { kind: 'int64', values: [BigInt(e.label)] } })));
    }
    const bytes = Buffer.concat(frames);
    writeFileSync(join(dir, `${b.name}-${split}.tfrecord-00000-of-00001`), bytes);
    splits.push({ name: split, numBytes: String(bytes.length), shardLengths: [String(examples.length)], filepathTemplate: '{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}' });
  }
  const shape = [first.height, first.width, first.channels].map(String);
  const features = {
    pythonClassName: 'tensorflow_datasets.core.features.features_dict.FeaturesDict',
    featuresDict: {
      features: {
        image: { pythonClassName: 'tensorflow_datasets.core.features.image_feature.Image', image: { shape: { dimensions: shape }, dtype: 'uint8', encodingFormat: 'png' } },
        label: { pythonClassName: 'tensorflow_datasets.core.features.class_label_feature.ClassLabel', classLabel: { numClasses: String(b.classes.length) } },
      },
    },
  };
  writeFileSync(join(dir, 'features.json'), `${JSON.stringify(features, null, 2)}\n`);
  writeFileSync(join(dir, 'label.labels.txt'), `${b.classes.map((c) => c.replace(/\s+/g, ' ')).join('\n')}\n`);
  writeFileSync(join(dir, 'dataset_info.json'), `${JSON.stringify({ name: b.name, version: b.version, fileFormat: 'tfrecord', splits }, null, 2)}\n`);
}
