// --device cuda without a GPU: the provider name reaches ONNX Runtime's session options, and the
// refusal says exactly what is missing: onnxruntime-node's CUDA provider (with the install steps),
// CUDA 12's libraries (named), or neither (then ONNX Runtime's own reason). The real refusal on this
// machine, whose onnxruntime-node was installed without its install script, is the first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deviceOption } from '../../src/cli/device.ts';
import { sessionOptions } from '../../src/runtime/ort.ts';
import { CUDA_INSTALL, CUDA_LIBS, CUDA_PROVIDER_LIBS, ortBinDir, providerError } from '../../src/runtime/provider.ts';

const ortSays = new Error('Failed to load shared library libonnxruntime_providers_cuda.so');
const head = "execution provider 'cuda' cannot start";

test('--device cuda reaches the session options as the provider name', () => {
  assert.equal(deviceOption('cuda'), 'cuda');
  assert.deepEqual(sessionOptions({ device: 'cuda' }).executionProviders, ['cuda']);
  assert.throws(() => deviceOption('gpu'), /--device must be cpu, cuda, webgpu; got 'gpu'/);
});

test('the refusal names the missing provider libraries with the install steps, then the missing CUDA libraries, then ONNX Runtime\'s reason', { skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'the CUDA provider exists for Linux x64 only' : false }, () => {
  const empty = mkdtempSync(join(tmpdir(), 'l2p-nocuda-'));
  assert.equal(
    providerError('cuda', ortSays, {}, { libDirs: [empty], icdDirs: [], ortBin: empty }),
    `${head}: onnxruntime-node's CUDA provider is not installed (no libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so in ${empty}); ${CUDA_INSTALL}`,
  );
  assert.match(CUDA_INSTALL, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js .*"allowScripts": \{"onnxruntime-node": true\}.*without ONNXRUNTIME_NODE_INSTALL=skip/);
  const bin = mkdtempSync(join(tmpdir(), 'l2p-ortbin-'));
  for (const f of CUDA_PROVIDER_LIBS) writeFileSync(join(bin, f), '');
  const noCuda = providerError('cuda', ortSays, {}, { libDirs: [empty], icdDirs: [], ortBin: bin });
  assert.equal(noCuda, `${head}: the CUDA provider is installed but CUDA 12's libraries are not found (${CUDA_LIBS.join(', ')} neither on LD_LIBRARY_PATH nor in the system library directories; install CUDA 12 and cuDNN 9)`);
  const cuda = mkdtempSync(join(tmpdir(), 'l2p-cudalib-'));
  for (const f of CUDA_LIBS.slice(1)) writeFileSync(join(cuda, f), '');
  assert.match(providerError('cuda', ortSays, { LD_LIBRARY_PATH: cuda }, { libDirs: [empty], icdDirs: [], ortBin: bin }), /not found \(libcudart\.so\.12 neither on LD_LIBRARY_PATH/);
  writeFileSync(join(cuda, CUDA_LIBS[0]), '');
  assert.equal(
    providerError('cuda', ortSays, { LD_LIBRARY_PATH: cuda }, { libDirs: [empty], icdDirs: [], ortBin: bin }),
    `${head}: ${ortSays.message} (the CUDA provider and CUDA 12's libraries are there: nvidia-smi shows whether a GPU and its driver are)`,
  );
});

test('l2p debug-step --device cuda on this machine: one line, the provider not installed, the install steps', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-cuda-')), 'out.npz');
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'debug-step', 'test/fixtures/golden/f', '--out', out, '--device', 'cuda'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `l2p debug-step: ${head}: onnxruntime-node's CUDA provider is not installed (no ${CUDA_PROVIDER_LIBS.join(', ')} in ${ortBinDir()}); ${CUDA_INSTALL}\n`);
});
