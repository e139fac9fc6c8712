// `l2p serve`: the web app that runs L2P in the page (src/web), on 127.0.0.1 unless told otherwise.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fsReason, UserError } from '../errors.ts';
import { isLoopback } from '../web/guard.ts';
import { PageServer } from '../web/server.ts';

const HELP = `usage: l2p serve [--port 8080] [--host 127.0.0.1 [--allow-remote]] [--workdir DIR]

Serves a page that trains L2P in the browser (onnxruntime-web: WASM; WebGPU with ?provider=webgpu|auto)
on the shipped glyph backbone: draw or drop images, name classes, group them into tasks, train task
after task. The run persists in the browser; exports go to --workdir as runs that l2p eval and
l2p predict read, and runs there import into the page.
  /?autorun=split-mnist&tasks=N   the demo's Split MNIST stream, shrunk, trained in the page
  --workdir       where exported runs are written and imported runs are read (default: l2p-web)
  --host          the address to listen on (default 127.0.0.1, this machine only)
  --allow-remote  needed for a --host other than a loopback address: whoever reaches it can use the
                  page, read the workdir's runs and write exports into it`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      workdir: { type: 'string', default: 'l2p-web' },
      'allow-remote': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0..65535, got '${values.port}'`);
  const host = values.host!;
  const remote = !isLoopback(host);
  if (remote && !values['allow-remote']) {
    throw new UserError(`--host ${host} is not a loopback address: anyone who reaches it could use the page, read the runs of the workdir and write into it; add --allow-remote to serve it anyway`);
  }
  const workdir = resolve(values.workdir!);
  makeWorkdir(workdir);
  const server = await PageServer.start({ port, host, workdir });
  console.log(`serving ${server.url}/ (runs in ${workdir}); Ctrl-C stops`);
  if (remote) {
    console.log(`--allow-remote: ${host} is reachable from other machines. Anyone who can open the page (as ${server.hosts.join(', ')}) can train in it, import every run of ${workdir} (their parameters and examples) and export new runs into it; the page's token only keeps other web sites out.`);
  }
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/** The workdir, created if missing; one that is a file, or cannot be made, is refused in one line. */
function makeWorkdir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`--workdir '${dir}' is a file, not a directory`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`--workdir '${dir}' cannot be made a directory: ${fsReason(e)}`);
  }
}
