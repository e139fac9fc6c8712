// What a TFDS directory says about its features, from whichever place its TFDS version wrote it:
//   features.json, TFDS >= 4.5:  {featuresDict: {features: {image: {image: {shape: {dimensions: ["32","32","3"]}}},
//                                                            label: {classLabel: {numClasses: "100"}}}}}
//   features.json, older:        {content: {image: {content: {shape: [32,32,3]}}, label: {content: {num_classes: 100}}}}
//   dataset_info.json "features" (same as the newer features.json), label.labels.txt (one class name a line),
//   or dataset_info.json "schema" (intDomain max of the label).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, where } from '../errors.ts';

export interface TfdsFeatures {
  numClasses: number | null;
  /** [h, w, c], with -1 for a dimension that varies; null when not stated. */
  imageShape: [number, number, number] | null;
}

type Json = Record<string, unknown>;
const obj = (x: unknown): Json | undefined => (typeof x === 'object' && x !== null ? (x as Json) : undefined);

function fromFeatureDict(root: Json | undefined, labelKey: string, imageKey: string): Partial<TfdsFeatures> {
  const out: Partial<TfdsFeatures> = {};
  if (!root) return out;
  const modern = obj(obj(root.featuresDict)?.features);
  const legacy = obj(root.content);
  const dict = modern ?? legacy;
  if (!dict) return out;
  const label = obj(dict[labelKey]);
  const image = obj(dict[imageKey]);
  const classes = obj(label?.classLabel)?.numClasses ?? obj(label?.content)?.num_classes;
  if (classes !== undefined) out.numClasses = Number(classes);
  const shape = obj(obj(image?.image)?.shape)?.dimensions ?? obj(image?.content)?.shape;
  if (Array.isArray(shape) && shape.length === 3) out.imageShape = shape.map((d) => (d === null ? -1 : Number(d))) as [number, number, number];
  return out;
}

export function readFeatures(dir: string, info: Json, labelKey = 'label', imageKey = 'image'): TfdsFeatures {
  const found: Partial<TfdsFeatures> = {};
  const merge = (f: Partial<TfdsFeatures>) => {
    found.numClasses ??= f.numClasses;
    found.imageShape ??= f.imageShape;
  };
  const featuresPath = join(dir, 'features.json');
  if (existsSync(featuresPath)) {
    try {
      merge(fromFeatureDict(obj(JSON.parse(readFileSync(featuresPath, 'utf8'))), labelKey, imageKey));
    } catch (e) {
      throw new UserError(`${where(featuresPath)}: cannot read features.json (${(e as Error).message})`);
    }
  }
  merge(fromFeatureDict(obj(info.features), labelKey, imageKey));
  const labelsTxt = join(dir, `${labelKey}.labels.txt`);
  if (found.numClasses === undefined && existsSync(labelsTxt)) {
    merge({ numClasses: readFileSync(labelsTxt, 'utf8').split('\n').filter((l) => l.trim() !== '').length });
  }
  const schema = obj(info.schema)?.feature;
  if (found.numClasses === undefined && Array.isArray(schema)) {
    const label = schema.map(obj).find((f) => f?.name === labelKey);
    const max = obj(label?.intDomain)?.max;
    if (max !== undefined) merge({ numClasses: Number(max) + 1 });
  }
  const n = found.numClasses;
  if (n !== undefined && n !== null && !(Number.isInteger(n) && n > 0)) {
    throw new UserError(`${where(dir)}: the number of classes of '${labelKey}' is not a positive integer`);
  }
  return { numClasses: found.numClasses ?? null, imageShape: found.imageShape ?? null };
}
