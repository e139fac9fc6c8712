#!/usr/bin/env node
// Entry point for `npx l2p`. An installed package runs its build (dist/) with plain Node. In the
// repository, where src/ and the dev dependency tsx are present, tsx is registered and the TypeScript
// sources run as they are.
import { existsSync } from 'node:fs';

const fromSource =
  existsSync(new URL('../src/cli/main.ts', import.meta.url)) &&
  (await import('tsx/esm/api').then(
    (tsx) => (tsx.register(), true),
    () => false,
  ));
const { main } = fromSource ? await import('../src/cli/main.ts') : await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
