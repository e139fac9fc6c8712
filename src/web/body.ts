// The body of a write, bounded. An upload that grows past the bound is not cut where it crosses it:
// closing a connection while the sender still sends leaves unread bytes in the server's receive
// buffer, the kernel answers them with a reset, and the sender can read that reset instead of the
// 413 (RFC 9112 §9.6, "the TCP reset problem"). So the rest is read and dropped, up to a bound in
// bytes and in time, and the 413 (with Connection: close) goes out once the upload has ended; past
// the bounds it goes out at once, and such a sender may see the reset.
import type { IncomingMessage } from 'node:http';
import { UserError } from '../errors.ts';
import { Refused } from './guard.ts';
import { MAX_BODY } from './limits.ts';

export interface BodyLimits {
  /** The largest body read. */
  max: number;
  /** The most bytes of a refused upload read and dropped before the answer, and for how long. */
  drainBytes: number;
  drainMs: number;
}

export const BODY_LIMITS: BodyLimits = { max: MAX_BODY, drainBytes: MAX_BODY, drainMs: 10_000 };

const size = (n: number) => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n} bytes`);

/**
 * The JSON body of a write. One that declares more than `max` bytes is refused before any of it is
 * read; one that sends more is read to its end (within `drainBytes` and `drainMs` more) and refused.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits = BODY_LIMITS): Promise<unknown> {
  const { max, drainBytes, drainMs } = limits;
  const tooLarge = () => new Refused(413, `the upload is larger than ${size(max)}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(tooLarge());
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let read = 0;
    let timer: NodeJS.Timeout | undefined;
    let refused = false;
    const refuse = () => {
      clearTimeout(timer);
      if (!refused) fail(tooLarge());
      refused = true;
    };
    req.on('data', (c: Buffer) => {
      read += c.length;
      if (read <= max) return void chunks.push(c);
      if (timer === undefined) {
        chunks.length = 0;
        timer = setTimeout(refuse, drainMs).unref();
      }
      if (read > max + drainBytes) refuse();
    });
    req.on('end', () => {
      if (read > max) return refuse();
      try {
        ok(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        fail(new UserError('the upload is not JSON'));
      }
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
  });
}
