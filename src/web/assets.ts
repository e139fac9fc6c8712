// The page's files as `l2p serve` sends them. In the repository the page is bundled from its sources
// when the server starts (src/web/bundle.ts, esbuild). An installed package holds neither the page's
// sources nor esbuild: it serves the bundle and index.html that `npm run build` wrote to dist/web/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { packageRoot } from '../package-root.ts';

/** Where the build writes the page, relative to the package root. */
export const PAGE_BUILD_DIR = join('dist', 'web');

export interface PageAssets {
  html: Uint8Array;
  js: Uint8Array;
  map: Uint8Array;
}

export async function pageAssets(): Promise<PageAssets> {
  const root = packageRoot();
  const sources = join(root, 'src', 'web', 'page');
  if (existsSync(join(sources, 'main.ts'))) {
    const { bundlePage } = await import('./bundle.ts');
    return { html: readFileSync(join(sources, 'index.html')), ...(await bundlePage()) };
  }
  const read = (name: string): Uint8Array => {
    const file = join(root, PAGE_BUILD_DIR, name);
    if (!existsSync(file)) throw new UserError(`the page's build '${file}' is missing (neither the page's sources nor its build are in ${root}); reinstall the package, or run \`npm run build\` in a clone`);
    return readFileSync(file);
  };
  return { html: read('index.html'), js: read('app.js'), map: read('app.js.map') };
}
