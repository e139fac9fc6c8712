// Every dependency with an install script has its script decided in package.json's allowScripts
// (true: run it, false: skip it), so `npm ci` on a fresh clone asks nothing and warns of nothing.
// The decisions and why: esbuild's postinstall checks for (and if need be fetches) its platform
// binary, which the bundler needs; onnxruntime-node's would download CUDA/TensorRT providers from
// nuget.org (README, "Install"); protobufjs's only warns a dependent whose version range uses another
// scheme, and its one dependent here is onnxruntime-web.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('allowScripts decides the install script of every package in package-lock.json that has one', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
    .filter(([path, p]) => path !== '' && p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
    .sort();
  assert.ok(withScripts.length > 0);
  assert.deepEqual(Object.keys(pkg.allowScripts).sort(), withScripts);
  for (const name of withScripts) assert.equal(typeof pkg.allowScripts[name], 'boolean', name);
});
