// Run reporting: TensorBoard event files written and read by the project itself.
export { EventWriter, eventFileName, type EventWriterOptions } from './events.ts';
export { readEvents, readEventDir, eventFiles, type EventEntry } from './event-reader.ts';
export { histogramOf, idHistogram, DEFAULT_BUCKET_LIMITS, type Histogram } from './histogram.ts';
export { configMarkdown } from './hparams.ts';
export * as tags from './tags.ts';
