// Bundles the page (src/web/page/main.ts) with esbuild, in memory: when `l2p serve` starts in the
// repository, and once in `npm run build` for an installed package (src/web/assets.ts). The page
// shares the graph IR, the ViT and L2P graph builders and the learner with Node; two rules keep it
// browser-safe: every import of src/runtime/ort.ts is served by the page's runtime (onnxruntime-web),
// and any import of a node: module (or of onnxruntime-node) fails the build, naming the importer.
import { join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { UserError } from '../errors.ts';
import { packageRoot } from '../package-root.ts';

export const PACKAGE_ROOT = packageRoot();
export const PAGE_DIR = join(PACKAGE_ROOT, 'src', 'web', 'page');

const browserOnly: Plugin = {
  name: 'l2p-browser-only',
  setup(b) {
    b.onResolve({ filter: /(^|\/)runtime\/ort\.ts$/ }, () => ({ path: join(PAGE_DIR, 'runtime.ts') }));
    b.onResolve({ filter: /^(node:|onnxruntime-node$)/ }, (args) => ({
      errors: [{ text: `the page may not import '${args.path}' (imported by ${relative(PACKAGE_ROOT, args.importer)}); split the module so the page needs no Node API` }],
    }));
  },
};

export interface PageBundle {
  js: Uint8Array;
  map: Uint8Array;
}

/** The page's bundle; `entry` replaces its entry point (tests of the rules). */
export async function bundlePage(entry = join(PAGE_DIR, 'main.ts')): Promise<PageBundle> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // onnxruntime-web loads its WASM glue and binaries from the paths the page configures (/ort/).
    conditions: ['onnxruntime-web-use-extern-wasm'],
    outfile: 'app.js',
    sourcemap: 'linked',
    write: false,
    logLevel: 'silent',
    plugins: [browserOnly],
  }).catch((e: { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const first = e.errors?.[0];
    throw new UserError(`bundling the page failed: ${first ? `${first.text}${first.location ? ` (${first.location.file}:${first.location.line})` : ''}` : String(e)}`);
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('app.js'))!;
  const map = r.outputFiles.find((f) => f.path.endsWith('app.js.map'))!;
  return { js: js.contents, map: map.contents };
}
