// Writes TensorBoard event files: `events.out.tfevents.<seconds>.<host>` in a log directory, a
// sequence of TFRecord-framed Event protobufs that starts with the "brain.Event:2" header.
// Each call frames its event and hands it to the kernel with one write, so a killed run keeps every
// complete record written before the kill (at worst the last one is cut short, which TensorBoard
// skips and `readEvents` reports). `flush()` and `close()` also fsync, for power loss.
// A second writer in the same directory (a resumed run) opens a new file; TensorBoard reads every
// event file of a directory, in name order.
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError, where } from '../errors.ts';
import { encodeTFRecord } from '../io/tfrecord.ts';
import { encodeFileVersionEvent, encodeSummaryEvent, type SummaryValue } from './event-proto.ts';
import { histogramOf, type Histogram } from './histogram.ts';
import { configMarkdown } from './hparams.ts';
import { HPARAMS } from './tags.ts';

export interface EventWriterOptions {
  /** Wall-clock time in seconds since the epoch; `Date.now() / 1000` unless a test fixes it. */
  now?: () => number;
  /** The host named in the file name; the machine's host name by default. */
  host?: string;
}

/** The event-file name TensorFlow uses: the start second, zero-padded to ten digits, then the host. */
export function eventFileName(seconds: number, host: string): string {
  return `events.out.tfevents.${String(Math.floor(seconds)).padStart(10, '0')}.${host.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/**
 * Creates `base`, or `base.1`, `base.2`, ... when it exists: two writers started within one second
 * (a quick resume) get names that sort after the first, so TensorBoard reads them in write order.
 */
function createExclusive(base: string): { path: string; fd: number } {
  for (let n = 0; ; n++) {
    const path = n === 0 ? base : `${base}.${n}`;
    try {
      return { path, fd: fs.openSync(path, 'wx') };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new UserError(`cannot create event file ${where(path)} (${code ?? e})`);
    }
  }
}

export class EventWriter {
  /** The event file this writer appends to. */
  readonly path: string;
  private fd: number | undefined;
  private readonly now: () => number;

  constructor(logDir: string, options: EventWriterOptions = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    try {
      fs.mkdirSync(logDir, { recursive: true });
    } catch (e) {
      throw new UserError(`cannot create log directory ${where(logDir)} (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    const wallTime = this.now();
    const opened = createExclusive(join(logDir, eventFileName(wallTime, options.host ?? hostname())));
    this.path = opened.path;
    this.fd = opened.fd;
    this.append(encodeFileVersionEvent(wallTime));
  }

  scalar(tag: string, value: number, step: number): void {
    this.summary(step, [{ kind: 'scalar', tag, value }]);
  }

  /** Several scalars at one step, in one event (the official `write_scalars(step, dict)`). */
  scalars(values: Readonly<Record<string, number>>, step: number): void {
    this.summary(
      step,
      Object.entries(values).map(([tag, value]) => ({ kind: 'scalar', tag, value })),
    );
  }

  /** Raw values go into TensorFlow's default buckets; a built `Histogram` (e.g. `idHistogram`) is written as is. */
  histogram(tag: string, values: ArrayLike<number> | Histogram, step: number): void {
    const histogram = 'bucketLimit' in values ? values : histogramOf(values);
    this.summary(step, [{ kind: 'histogram', tag, histogram }]);
  }

  /** Markdown for TensorBoard's text plugin. */
  text(tag: string, markdown: string, step: number): void {
    this.summary(step, [{ kind: 'text', tag, text: markdown }]);
  }

  /** The run's config as a markdown table of dotted keys, under the `hparams` tag at step 0. */
  hparams(config: object): void {
    this.text(HPARAMS, configMarkdown(config), 0);
  }

  summary(step: number, values: readonly SummaryValue[]): void {
    this.append(encodeSummaryEvent(this.now(), step, values));
  }

  flush(): void {
    if (this.fd === undefined) return;
    this.guard(() => fs.fsyncSync(this.fd!));
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.guard(() => {
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  private append(event: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`EventWriter for ${where(this.path)} is closed`);
    const record = encodeTFRecord(event);
    const fd = this.fd;
    this.guard(() => {
      for (let done = 0; done < record.length; ) done += fs.writeSync(fd, record, done, record.length - done);
    });
  }

  private guard(io: () => void): void {
    try {
      io();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === undefined) throw e;
      throw new UserError(`cannot write event file ${where(this.path)} (${code})`);
    }
  }
}
