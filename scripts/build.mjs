#!/usr/bin/env node
// `npm run build` (and `npm pack`, through prepack): every module under src/ and the presets in
// configs/ compiled to ESM JavaScript with .d.ts types in dist/, from a clean dist/; then the web page
// (`l2p serve`), which the compiled modules do not cover: its bundle (src/web/bundle.ts, run from the
// build just made) and index.html in dist/web/, served by an installed package (src/web/assets.ts).
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const { bundlePage, PAGE_DIR } = await import('../dist/src/web/bundle.js');
const { PAGE_BUILD_DIR } = await import('../dist/src/web/assets.js');
const page = await bundlePage();
mkdirSync(PAGE_BUILD_DIR, { recursive: true });
writeFileSync(join(PAGE_BUILD_DIR, 'app.js'), page.js);
writeFileSync(join(PAGE_BUILD_DIR, 'app.js.map'), page.map);
copyFileSync(join(PAGE_DIR, 'index.html'), join(PAGE_BUILD_DIR, 'index.html'));
