// `l2p serve`: the web app that runs L2P in the page (src/web), on 127.0.0.1 unless told otherwise.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { PageServer } from '../web/server.ts';

const HELP = `usage: l2p serve [--port 8080] [--host 127.0.0.1] [--workdir DIR]

Serves a page that trains L2P in the browser (onnxruntime-web: WASM; WebGPU with ?provider=webgpu|auto)
on the shipped glyph backbone: draw or drop images, name classes, group them into tasks, train task
after task. The run persists in the browser; exports go to --workdir as runs that l2p eval and
l2p predict read, and runs there import into the page.
  /?autorun=split-mnist&tasks=N   the demo's Split MNIST stream, shrunk, trained in the page
  --workdir  where exported runs are written and imported runs are read (default: l2p-web)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      workdir: { type: 'string', default: 'l2p-web' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0..65535, got '${values.port}'`);
  const workdir = resolve(values.workdir!);
  mkdirSync(workdir, { recursive: true });
  const server = await PageServer.start({ port, host: values.host!, workdir });
  console.log(`serving ${server.url}/ (runs in ${workdir}); Ctrl-C stops`);
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
