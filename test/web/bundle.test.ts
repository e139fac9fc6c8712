// The page's bundle: it builds, holds no Node API, and a page module that reaches a node: module
// (directly or through src/) fails the build with the importer named.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { bundlePage, PACKAGE_ROOT } from '../../src/web/bundle.ts';
import { tempDir } from '../fixtures/data/write.ts';

test('the page bundles with onnxruntime-web and without onnxruntime-node or node: modules', async () => {
  const { js } = await bundlePage();
  const text = new TextDecoder().decode(js);
  assert.doesNotMatch(text, /from ["']node:|require\(["']node:|onnxruntime-node/);
  assert.match(text, /ort-wasm-simd-threaded/);
});

test('a page module that imports a Node-only file of src/ is refused, naming the importer', async () => {
  const entry = join(tempDir('bundle'), 'entry.ts');
  writeFileSync(entry, `import { loadViT } from '${join(PACKAGE_ROOT, 'src', 'vit', 'params.ts')}';\nconsole.log(loadViT);\n`);
  await assert.rejects(bundlePage(entry), (e: Error) => e instanceof UserError && /may not import 'node:fs' \(imported by src\/io\/(npz|zip-reader|atomic)\.ts\)/.test(e.message));
});
