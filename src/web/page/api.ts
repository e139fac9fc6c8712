// Calls of the server's API (/api/...): each carries the token the server put in this page's
// <meta name="l2p-token"> (a fresh one per server start; src/web/guard.ts), which pages of other
// origins cannot read.
const token = document.querySelector<HTMLMetaElement>('meta[name="l2p-token"]')?.content ?? '';

/** fetch() of an API path with the page's token. */
export function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('X-L2P-Token', token);
  return fetch(path, { ...init, headers });
}

/** An export: the run as JSON, written under `name` in the server's workdir. */
export function postRun(name: string, body: unknown): Promise<Response> {
  return api(`/api/runs/${encodeURIComponent(name)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}
