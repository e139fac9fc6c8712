// Data-parallel workers on the WebGPU provider, without a GPU: each worker process starts its own
// Vulkan (SwiftShader, as test/runtime/webgpu.test.ts) from the environment it was given. Their steps
// agree with the same micro-batches run here on WebGPU and on the CPU provider. Each worker's adapter is
// the one its environment names: its own Vulkan driver manifest (--worker-env RANK:VK_ICD_FILENAMES=...),
// or, among several devices, the one Mesa's device-select layer (mesa-vulkan-drivers) is told to
// expose, as docs/gpu.md proposes for a machine of several GPUs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { disposeAll } from '../../src/runtime/ort.ts';
import { vulkanLoader } from '../../src/runtime/provider.ts';
import { parseWorkerEnv } from '../../src/train/parallel.ts';
import type { Tensors } from '../../src/train/optim.ts';
import { stepConfig, trainSteps } from '../helpers/parallel-step.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

before(() => {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'l2p-xdg-'));
  assert.ok(vulkanLoader(), 'libvulkan.so.1 is missing (Debian: apt-get install libvulkan1; npm test installs it)');
  assert.ok(existsSync(SWIFTSHADER), `the Vulkan driver manifest '${SWIFTSHADER}' is missing (Debian: apt-get install chromium)`);
});

/** The largest difference between the tensors, relative to max(1, |want|). */
function worst(got: Tensors, want: Tensors): number {
  let w = 0;
  for (const [k, x] of want) {
    const y = got.get(k)!;
    for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(y[i] - x[i]) / Math.max(1, Math.abs(x[i])));
  }
  return w;
}

test('2 workers on webgpu (SwiftShader) agree with the micro-batches run here on webgpu (1e-6) and on the cpu (1e-4), clip scope all included', async (t) => {
  t.after(disposeAll);
  for (const c of [stepConfig(), stepConfig({ grad_clip_scope: 'all', grad_clip_max_norm: 1 })]) {
    const gpu = { device: 'webgpu' as const };
    const workers = await trainSteps(c, 2, { workers: 2, runtime: gpu });
    const here = await trainSteps(c, 2, { runtime: gpu });
    const cpu = await trainSteps(c, 2);
    const label = `clip scope ${c.grad_clip_scope}`;
    assert.ok(worst(workers.trained, here.trained) <= 1e-6, `${label}: workers vs here ${worst(workers.trained, here.trained)}`);
    assert.ok(worst(workers.trained, cpu.trained) <= 1e-4, `${label}: workers vs cpu ${worst(workers.trained, cpu.trained)}`);
    assert.deepEqual(
      workers.log.map((l) => l.ids),
      cpu.log.map((l) => l.ids),
      `${label}: prompt ids`,
    );
  }
});

test('a worker given its own Vulkan driver manifest uses it: a missing one is named in the error of that worker', async () => {
  const env = [parseWorkerEnv('1:VK_ICD_FILENAMES=/nowhere/icd-{rank}.json', 2)];
  await assert.rejects(
    trainSteps(stepConfig(), 1, { workers: 2, runtime: { device: 'webgpu' }, env }),
    /data-parallel worker 1: execution provider 'webgpu' cannot start: no Vulkan driver: the manifest\(s\) named by VK_DRIVER_FILES\/VK_ICD_FILENAMES \('\/nowhere\/icd-1\.json'\) do not exist/,
  );
});

test("Mesa's device-select layer gives each worker the adapter its environment names (SwiftShader to worker 0, llvmpipe, which Dawn refuses, to worker 1)", async () => {
  const icd = '/usr/share/vulkan/icd.d';
  const lvp = readdirSync(icd).find((f) => /^lvp_icd\..*\.json$/.test(f));
  assert.ok(lvp, `no llvmpipe manifest in ${icd} (Debian: apt-get install mesa-vulkan-drivers; npm test installs it)`);
  // Both drivers in every worker; the layer exposes one device per worker (Vulkan vendor:device ids).
  const env = [`VK_ICD_FILENAMES=${SWIFTSHADER}:${join(icd, lvp)}`, 'MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE=1', '0:MESA_VK_DEVICE_SELECT=1ae0:c0de', '1:MESA_VK_DEVICE_SELECT=10005:0'].map((s) => parseWorkerEnv(s, 2));
  await assert.rejects(trainSteps(stepConfig(), 1, { workers: 2, runtime: { device: 'webgpu' }, env }), (e: Error) => {
    assert.match(e.message, /^data-parallel worker 1: execution provider 'webgpu' cannot start: no WebGPU adapter from the Vulkan driver\(s\) .*lvp_icd/);
    return true;
  });
  // Both given SwiftShader: the step runs.
  const swift = [...env.slice(0, 2), parseWorkerEnv('MESA_VK_DEVICE_SELECT=1ae0:c0de', 2)];
  const ok = await trainSteps(stepConfig(), 1, { workers: 2, runtime: { device: 'webgpu' }, env: swift });
  assert.ok(Number.isFinite(ok.log[0].loss));
});
