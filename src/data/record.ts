// Reading one record's stored image from where a source located it (RecordRef): what a pipeline
// worker does itself, and what the sources' own `get` does, so both give the same bytes and errors.
import { readFile } from 'node:fs/promises';
import { fsReason, UserError, where } from '../errors.ts';
import { bytesFeature, decodeExample } from '../io/example.ts';
import { readTFRecordAt } from '../io/tfrecord.ts';
import type { RecordRef, StoredImage } from './types.ts';

/** An image file's bytes; an unreadable file is a UserError naming it (and the list that named it). */
export async function readImageFile(path: string, listedIn?: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (e) {
    throw new UserError(`${where(path)}: cannot read the image${listedIn === undefined ? '' : ` listed in ${where(listedIn)}`}: ${fsReason(e)}`);
  }
}

/** The stored image `ref` points at, its TFRecord framing and both checksums checked. */
export async function readStoredImage(ref: RecordRef): Promise<StoredImage> {
  if (ref.kind === 'file') return { encoded: await readImageFile(ref.path, ref.listedIn) };
  const features = decodeExample(await readTFRecordAt(ref.file, ref.offset), ref.origin);
  return { encoded: bytesFeature(features, ref.imageKey, ref.origin) };
}
