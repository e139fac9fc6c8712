#!/usr/bin/env node
// `npm run build` (and `npm pack`, through prepack): every module under src/ and the presets in
// configs/ compiled to ESM JavaScript with .d.ts types in dist/, from a clean dist/.
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
