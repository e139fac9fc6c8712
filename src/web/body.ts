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

/** The most bytes of a refused upload read and dropped before the answer, and for how long. */
export const DRAIN_BYTES = MAX_BODY;
export const DRAIN_MS = 10_000;

const tooLarge = () => new Refused(413, `the upload is larger than ${MAX_BODY >> 20} MiB`);

/**
 * The JSON body of a write. One that declares more than MAX_BODY bytes is refused before any of it is
 * read; one that sends more is read to its end (within DRAIN_BYTES and DRAIN_MS more) and refused.
 */
export function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) return Promise.reject(tooLarge());
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const refuse = () => {
      clearTimeout(timer);
      fail(tooLarge());
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) return void chunks.push(c);
      if (timer === undefined) {
        chunks.length = 0;
        timer = setTimeout(refuse, DRAIN_MS).unref();
      }
      if (size > MAX_BODY + DRAIN_BYTES) refuse();
    });
    req.on('end', () => {
      if (size > MAX_BODY) return refuse();
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
