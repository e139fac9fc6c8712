// Reads TensorBoard event files back: every record's two CRCs are checked (by readTFRecords) and
// each Summary value becomes one flat, typed entry. Problems are UserErrors naming the file and
// the byte offset of the record, including a last record cut short by a killed run.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, where } from '../errors.ts';
import { readTFRecords } from '../io/tfrecord.ts';
import { ProtoError } from '../io/protobuf.ts';
import { FILE_VERSION, decodeEvent, type DecodedValue } from './event-proto.ts';

/** One value as it sits in a file, with the record it came from. */
export type EventEntry = DecodedValue & { wallTime: number; step: number; file: string; offset: number };

/**
 * The values of one event file, in file order. The first record must be the "brain.Event:2"
 * header; events without a summary (graphs, session logs) are passed over.
 */
export async function* readEvents(path: string): AsyncGenerator<EventEntry> {
  let first = true;
  for await (const rec of readTFRecords(path)) {
    let event;
    try {
      event = decodeEvent(rec.data);
    } catch (e) {
      if (!(e instanceof ProtoError || e instanceof TypeError)) throw e;
      throw new UserError(`${where(path)}: record at byte ${rec.offset} is not a valid Event (${e.message})`);
    }
    if (first && (event.kind !== 'fileVersion' || event.fileVersion !== FILE_VERSION)) {
      const got = event.kind === 'fileVersion' ? `"${event.fileVersion}"` : `a ${event.kind} event`;
      throw new UserError(`${where(path)}: not a TensorBoard event file: the first record is ${got}, expected file_version "${FILE_VERSION}"`);
    }
    first = false;
    if (event.kind !== 'summary') continue;
    for (const v of event.values) yield { ...v, wallTime: event.wallTime, step: event.step, file: path, offset: rec.offset };
  }
}

/** The event files of a log directory (not its subdirectories), in the name order TensorBoard reads them. */
export function eventFiles(logDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch (e) {
    throw new UserError(`cannot read log directory ${where(logDir)} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return names
    .filter((n) => n.includes('tfevents'))
    .sort()
    .map((n) => join(logDir, n));
}

/** Every value of every event file in `logDir`, file by file. */
export async function* readEventDir(logDir: string): AsyncGenerator<EventEntry> {
  for (const f of eventFiles(logDir)) yield* readEvents(f);
}
