// The WebGPU provider against the CPU provider, without a GPU: Vulkan from SwiftShader (Debian's
// chromium ships its ICD) under ONNX Runtime's WebGPU execution provider (Dawn). npm test installs
// chromium and the Vulkan loader (libvulkan1: scripts/test-deps.mjs); the test itself points Vulkan at
// SwiftShader. On a machine with a GPU driver, set VK_ICD_FILENAMES to its manifest and the same tests
// run on the GPU.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parsePlacements, placement } from '../../bench/gpu/placement.ts';
import { readNpz } from '../../src/io/npz.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { runCase } from '../../src/cli/debug-step.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { providerError, vulkanLoader } from '../../src/runtime/provider.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** WebGPU against the expected values and against the CPU provider: the golden tolerance. */
const TOL = 1e-4;

before(() => {
  // The Vulkan loader reads these when the first WebGPU session starts, in this process and its children.
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'l2p-xdg-'));
  assert.ok(vulkanLoader(), 'libvulkan.so.1 is missing (Debian: apt-get install libvulkan1; npm test installs it)');
  const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES!;
  assert.ok(icd.split(':').every((f) => existsSync(f)), `the Vulkan driver manifest '${icd}' is missing (Debian: apt-get install chromium)`);
});
after(disposeAll);

function worst(got: Map<string, NpyArray>, want: Map<string, NpyArray>, label: string): number {
  let w = 0;
  for (const [k, x] of want) {
    const y = got.get(k);
    assert.ok(y, `${label}: '${k}' is missing`);
    assert.deepEqual(y.shape, x.shape, `${label}: shape of '${k}'`);
    for (let i = 0; i < x.data.length; i++) {
      const b = Number(x.data[i]);
      const e = Math.abs(Number(y.data[i]) - b) / Math.max(1, Math.abs(b));
      assert.ok(e <= TOL, `${label}: ${k}[${i}] = ${y.data[i]}, expected ${b}`);
      w = Math.max(w, e);
    }
  }
  return w;
}

const root = 'test/fixtures/golden';
// L2P (e: clipping over every parameter), DualPrompt (dp*: train and eval prompt ids), CODA-Prompt (coda_p0:
// the official code's step, exact GELU through the Erf op).
const CASES = [...['a', 'b', 'c', 'd', 'e', 'dp0', 'dp3', 'coda_p0'].map((n) => join(root, n)), 'test/fixtures/coda/coda0'];
for (const dir of CASES) {
  const name = dir.split('/').pop()!;
  test(`webgpu golden ${name}: one training step matches expected.npz and the CPU provider to ${TOL}`, async () => {
    const gpu = await runCase(dir, { device: 'webgpu' });
    const want = readNpz(join(dir, 'expected.npz'));
    worst(gpu, want, `${name} webgpu`);
    worst(gpu, await runCase(dir), `${name} webgpu vs cpu`);
    // The selected prompts are the same ids, not only close.
    const ids = (a: NpyArray) => Array.from(a.data as ArrayLike<number | bigint>, Number);
    for (const k of ['prompt_idx', 'train_prompt_idx', 'eval_prompt_idx'].filter((k) => want.has(k))) assert.deepEqual(ids(gpu.get(k)!), ids(want.get(k)!), k);
  });
}

test('webgpu: every graph of the commands and methods runs wholly on the WebGPU provider (opt-in int8 query aside)', () => {
  const p = placement('webgpu');
  assert.ok(Object.keys(p).length >= 21, `placement of ${Object.keys(p).length} graphs: ${JSON.stringify(p).slice(0, 300)}`);
  // Every method's hot graphs: L2P's, DualPrompt's and CODA-Prompt's training and evaluation steps, and pretraining.
  for (const name of ['train batchwise, clip over trained', 'eval per_instance', 'pretrain', 'dualprompt train (prompt mask)', 'dualprompt train (prompt mask), clip over all', 'dualprompt eval per_instance, query fed', 'coda_prompt train', 'coda_prompt eval']) {
    assert.ok(p[name], `no placement for '${name}'`);
  }
  for (const [graph, { total, cpu }] of Object.entries(p)) {
    assert.ok(total > 0, `${graph}: no placement read from the log`);
    if (graph.startsWith('query int8')) assert.ok(cpu.some((n) => n.startsWith('MatMulInteger')), `${graph}: ${cpu}`);
    else assert.deepEqual(cpu, [], `${graph}: nodes on the CPU provider`);
  }
});

test('the placement log parser finds nodes left on the CPU (a log of the int64 lowering)', () => {
  const v = (id: string, text: string) => `2026-11-28 02:39:15.28 [V:onnxruntime:${id}, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp] ${text}`;
  const log = [
    v('g1', 'Node placements'),
    v('g1', ' Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2'),
    v('g1', '  Cast (cast_1)'),
    v('g0', ' All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 72'),
    v('g1', '  Identity (prompt_idx)'),
    v('g1', ' Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 430'),
    v('g1', '  Reshape (reshape)'),
    '2026-11-28 02:39:15.29 [I:onnxruntime:g1, inference_session.cc:3094 Initialize] Session successfully initialized.',
  ].join('\n');
  assert.deepEqual(parsePlacements(log, ['query', 'train']), {
    query: { total: 72, cpu: [] },
    train: { total: 432, cpu: ['Cast (cast_1)', 'Identity (prompt_idx)'] },
  });
});

function metrics(dir: string): { loss?: number; accuracy?: number[]; task: number; step?: number }[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('webgpu: a smoke training run (l2p train --device webgpu) agrees with the CPU provider', () => {
  const base = mkdtempSync(join(tmpdir(), 'l2p-webgpu-'));
  const run = (device: string) => {
    const workdir = join(base, device);
    execFileSync(process.execPath, ['bin/l2p.mjs', 'train', '--config', 'split_mnist_l2p_smoke', '--workdir', workdir, '--workers', '0', '--device', device], { stdio: 'pipe' });
    return { m: metrics(workdir), s: JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8')) };
  };
  const cpu = run('cpu');
  const gpu = run('webgpu');
  assert.equal(gpu.m.length, cpu.m.length);
  let losses = 0;
  cpu.m.forEach((c, i) => {
    const w = gpu.m[i];
    if (c.loss !== undefined) {
      losses++;
      assert.ok(Math.abs(w.loss! - c.loss) <= TOL * Math.max(1, Math.abs(c.loss)), `record ${i}: loss ${w.loss} on webgpu, ${c.loss} on cpu`);
    }
    assert.deepEqual(w.accuracy, c.accuracy, `record ${i}: accuracies`);
  });
  assert.ok(losses > 0, 'the run logged no loss');
  assert.deepEqual(gpu.s.acc_matrix, cpu.s.acc_matrix);
  assert.deepEqual(gpu.s.prompt_usage, cpu.s.prompt_usage);
});

test('provider errors name what is missing', () => {
  const ortSays = new Error('/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 lambda adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters');
  const none = mkdtempSync(join(tmpdir(), 'l2p-novk-'));
  assert.match(providerError('webgpu', ortSays, {}, { libDirs: [none], icdDirs: [none] }), /^execution provider 'webgpu' cannot start: no Vulkan loader \(libvulkan\.so\.1/);
  assert.match(providerError('webgpu', ortSays, { LD_LIBRARY_PATH: '/usr/lib/chromium' }, { libDirs: [none], icdDirs: [none] }), /no Vulkan driver \(no ICD manifest in /);
  assert.match(providerError('webgpu', ortSays, { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: '/nowhere/icd.json' }, { libDirs: [], icdDirs: [] }), /manifest\(s\) named by .* \('\/nowhere\/icd\.json'\) do not exist/);
  const adapter = providerError('webgpu', ortSays, { LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: SWIFTSHADER }, { libDirs: [], icdDirs: [] });
  assert.equal(adapter, `execution provider 'webgpu' cannot start: no WebGPU adapter from the Vulkan driver(s) ${SWIFTSHADER}: Failed to get a WebGPU adapter: No supported adapters (VK_LOADER_DEBUG=error,driver shows why a driver did not load)`);
  for (const m of [adapter]) assert.ok(!m.includes('\n'), 'one line');
});

test('l2p debug-step --device webgpu writes the golden arrays; a bad --device is refused', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-ds-')), 'out.npz');
  execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, 'd'), '--out', out, '--device', 'webgpu'], { stdio: 'pipe' });
  worst(readNpz(out), readNpz(join(root, 'd', 'expected.npz')), 'cli d');
  assert.throws(() => execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, 'd'), '--out', out, '--device', 'tpu'], { stdio: 'pipe' }), (e: { stderr: Buffer; status: number }) => {
    assert.equal(e.status, 1);
    assert.match(e.stderr.toString(), /--device must be cpu, cuda, webgpu; got 'tpu'/);
    return true;
  });
});
