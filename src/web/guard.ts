// Who may talk to `l2p serve`. Any web page the user visits can send requests to a local port, and a
// page on a DNS-rebound name can even read the answers; so every request must name the server by an
// address it serves (Host), and every call of its API must carry the token that only its own page
// holds (a fresh one per start, sent in the page itself). A write must also come from the server's
// own origin with a JSON body: cross-site forms and text/plain "simple" requests are refused even
// before the token is looked at.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { UserError } from '../errors.ts';

/** A refused request: its HTTP status and one line saying why. */
export class Refused extends UserError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request header that carries the page's token. */
export const TOKEN_HEADER = 'x-l2p-token';
/** The meta tag the token is delivered in (never in a URL, so no log or history holds it). */
export const TOKEN_META = 'l2p-token';

/** True for addresses that only this machine reaches: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** A host as it appears in a Host header: IPv6 addresses in brackets, names lower-cased. */
function authority(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return `${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

/**
 * The Host values the server answers: the loopback names, the --host given, and, when that is a
 * wildcard (every interface), this machine's name and interface addresses.
 */
export function servedHosts(host: string, port: number): string[] {
  const names = ['127.0.0.1', 'localhost', '::1', host];
  if (WILDCARD.has(host)) {
    names.push(hostname());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.push(a.address.replace(/%.*$/, ''));
  }
  return [...new Set(names.map((n) => authority(n, port)))];
}

/** The checks of one server start: its served Host values and its token. */
export class Guard {
  readonly token = randomBytes(32).toString('base64url');
  private readonly hosts: Set<string>;

  constructor(readonly served: string[]) {
    this.hosts = new Set(served);
  }

  /** Every request: the Host header must name this server (what DNS rebinding cannot fake). */
  host(req: IncomingMessage): string {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.hosts.has(host)) throw new Refused(421, `host '${req.headers.host ?? ''}' is not served here (this server answers to ${this.served.join(', ')})`);
    return host;
  }

  /** Every API call: the token of this start, which only the page served by it holds. */
  api(req: IncomingMessage): void {
    const given = Buffer.from(String(req.headers[TOKEN_HEADER] ?? ''));
    const own = Buffer.from(this.token);
    if (given.length !== own.length || !timingSafeEqual(given, own)) throw new Refused(403, 'the request lacks the page token of this server start (reload the page)');
  }

  /** A write: from the server's own origin, with a JSON body. */
  write(req: IncomingMessage, host: string): void {
    const origin = req.headers.origin;
    if (origin !== `http://${host}`) throw new Refused(403, `writes are taken from the page's own origin http://${host} only, not from ${origin === undefined ? 'a request without an Origin' : `'${origin}'`}`);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new Refused(415, `writes must be sent as application/json, not '${req.headers['content-type'] ?? ''}'`);
  }
}

/** The page's HTML with this start's token in a meta tag the page reads. */
export function withToken(html: Uint8Array, token: string): string {
  const text = Buffer.from(html).toString('utf8');
  if (!text.includes('<head>')) throw new UserError("the page's index.html has no <head> to carry the token");
  return text.replace('<head>', `<head>\n<meta name="${TOKEN_META}" content="${token}">`);
}
