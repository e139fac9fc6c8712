// Data: datasets as TFDS prepared them or in their own layouts, the official preprocessing, and
// the continual streams. What the training loop uses:
//
//   const ds = await openDataset('cifar100', { dataDir });      // TFDS dir if present, else native layout
//   ds.numClasses; ds.splits;                                     // { train: 50000, test: 10000 }
//   for await (const ex of ds.read('test[:10]')) ...              // { image: HWC uint8, height, width, channels, label }
//
//   const stream = await classIncremental(ds, { numTasks: 10, numClassesPerTask: 10, randSeed: -1 });
//   // also fiveDatasets(data), core50Stream(data), domainNetStream(data), gaussianCifar100(ds, seed)
//   for (const task of stream.tasks) {                            // { classMask: number[], train: Source, test: Source }
//     const train = new Pipeline(task.train, { batchSize: 16, train: true, seed, preprocess: { resizeSize: 256, inputSize: 224 } });
//     for await (const batch of train) ...                        // { images: Float32Array [B,224,224,3] in [0,1], labels: Int32Array }
//     const saved = train.state();                                // { seed, position }: JSON-safe
//     train.restore(saved);                                       // the next batch is the one that followed `saved`
//     await train.close();
//   }
//
// A Source is random access over an index (offsets and labels); images are read on demand, so
// no dataset has to fit in memory. Split specs use TFDS syntax for every format ("train[:80%]").
// Errors caused by the data or the arguments are UserErrors naming the file and the problem.
export type { Dataset, Example, Pixels, RecordRef, Source, StoredImage, StoredRecord } from './types.ts';
export { openDataset, type DataFormat, type OpenOptions } from './open.ts';
export { datasetSpec, knownDatasets, type DatasetSpec } from './registry.ts';
export { defaultTfdsDataDir } from './tfds.ts';
export { resolveSplit, subsampleSplit, type SplitRange } from './split.ts';
export { concat, filterClasses, labelCounts, mapLabels, slice, subset } from './source.ts';
export { Pipeline, type Batch, type PipelineOptions, type PipelineState } from './pipeline.ts';
export { OFFICIAL_PREPROCESS, evalPreprocess, trainPreprocess, type PreprocessConfig } from './preprocess.ts';
export { resizeBilinear } from './resize.ts';
export { decodeImage, encodeJpeg, encodePng } from './image.ts';
export {
  FIVE_DATASETS,
  classIncremental,
  core50Stream,
  domainNetStream,
  fiveDatasets,
  gaussianCifar100,
  type ClassIncrementalOptions,
  type ContinualStream,
  type StreamData,
  type Task,
} from './streams.ts';
export { gaussianSchedule, scheduleKey, scheduleStats, type Episode, type GaussianOptions } from './gaussian.ts';
