// `l2p doctor` through the real command line on this machine (the CPU provider, and WebGPU on
// SwiftShader), and each ✘ path from faked directories and variables: every failure names its fix,
// and the exit status is 1 only where a failure blocks the run asked for.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkpointFormat } from '../../src/doctor/checkpoint.ts';
import { nodeCheck, npmCheck } from '../../src/doctor/node.ts';
import { vulkanDevices } from '../../src/doctor/provider.ts';
import { vulkanChecks } from '../../src/doctor/vulkan.ts';
import { zipChunks } from '../../src/io/zip-writer.ts';
import { saveViT } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { assertUnchanged, l2p, snapshot } from '../robust/cli.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const root = mkdtempSync(join(tmpdir(), 'l2p-doctor-'));
const data = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
before(() => writePresetData(data));

/** The output's line for a check, with its fix line when it has one. */
function line(out: string, name: string): string {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`✔ ${name}:`) || l.startsWith(`✘ ${name}:`));
  assert.ok(i >= 0, `no line for '${name}' in:\n${out}`);
  return lines[i + 1]?.startsWith('    fix: ') ? `${lines[i]}\n${lines[i + 1]}` : lines[i];
}

const cpuEnv = () => {
  const env = { ...process.env };
  delete env.VK_ICD_FILENAMES;
  delete env.VK_DRIVER_FILES;
  return env;
};

test('on the CPU: a smoke preset with its data is ready; the plan and the measured step give the estimate', async () => {
  const r = await l2p(['doctor', '--config', 'cifar100_l2p_smoke', '--set', `data_dir=${data}`], cpuEnv());
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(line(r.stdout, 'Node'), /^✔ Node: v\d+\.\d+\.\d+$/);
  assert.match(line(r.stdout, 'ONNX Runtime'), /^✔ ONNX Runtime: onnxruntime-node \d+\.\d+\.\d+; providers cpu, webgpu, cuda \(not shipped\)/);
  assert.match(line(r.stdout, 'provider cpu'), /^✔ provider cpu: starts and runs a test graph/);
  assert.match(line(r.stdout, 'checkpoint'), /^✔ checkpoint: none: ViT-mu_8 starts from random weights/);
  // The fixture: 400 training and 200 test images over 100 classes; the smoke split, 2 classes per task.
  assert.equal(line(r.stdout, 'dataset cifar100'), `✔ dataset cifar100: split cifar100 under ${data} (data_dir): 2 tasks, 16 training and 8 test examples (train/test per task: 8/4 each)`);
  // Per task floor(8 / 4) = 2 steps; evaluations after steps 2 (task 1's 4 images) and 4 (both tasks' 8).
  assert.match(line(r.stdout, 'estimated time'), /^✔ estimated time: about [\d.]+ (s|min|h) on cpu: 4 training steps × [\d.]+ s \(batch 4\) \+ 12 evaluated images at [\d.]+ s each; an estimate from one step measured here/);
  assert.equal(r.stdout.trim().split('\n').at(-1), '✔ ready');
});

test('on WebGPU through SwiftShader: the provider starts, the adapter is named, shader-f16 is missing but not needed', { timeout: 240_000 }, async () => {
  if (!existsSync(SWIFTSHADER)) assert.fail(`${SWIFTSHADER} is missing: npm test installs chromium (scripts/test-deps.mjs)`);
  const env = { ...cpuEnv(), VK_ICD_FILENAMES: SWIFTSHADER, XDG_RUNTIME_DIR: mkdtempSync(join(root, 'xdg-')) };
  const r = await l2p(['doctor', '--device', 'webgpu', '--config', 'cifar100_l2p_smoke', '--set', `data_dir=${data}`], env);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(line(r.stdout, 'Vulkan ICD manifests'), `✔ Vulkan ICD manifests: ${SWIFTSHADER} (/usr/lib/chromium/libvk_swiftshader.so) named by VK_ICD_FILENAMES`);
  assert.match(line(r.stdout, 'provider webgpu'), /^✔ provider webgpu: starts and runs a test graph/);
  assert.match(line(r.stdout, 'WebGPU adapter'), /^✔ WebGPU adapter: SwiftShader Device/);
  assert.match(line(r.stdout, 'shader-f16'), /^✘ shader-f16: .*lacks the 'shader-f16' feature.*\n {4}fix: use compute_precision 'fp32'/);
  assert.match(line(r.stdout, 'estimated time'), /on webgpu: 4 training steps/);
  // The same config asking for fp16 is blocked by it.
  const fp16 = await l2p(['doctor', '--device', 'webgpu', '--config', 'cifar100_l2p_smoke', '--set', `data_dir=${data}`, '--set', 'compute_precision=fp16', '--no-estimate'], env);
  assert.equal(fp16.status, 1, fp16.stdout);
  assert.match(fp16.stdout.trim().split('\n').at(-1)!, /^✘ the run cannot start here/);
});

test('a driver manifest that does not exist blocks --device webgpu, with the fix', async () => {
  const env = { ...cpuEnv(), VK_ICD_FILENAMES: join(root, 'none.json') };
  const r = await l2p(['doctor', '--device', 'webgpu'], env);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(line(r.stdout, 'Vulkan ICD manifests'), /^✘ Vulkan ICD manifests: none usable named by VK_ICD_FILENAMES: .*none\.json does not exist\n {4}fix: /);
  assert.match(line(r.stdout, 'provider webgpu'), /^✘ provider webgpu: execution provider 'webgpu' cannot start: no Vulkan driver.*\n {4}fix: .*VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/);
  // The same machine is fine for the CPU: the Vulkan lines do not block it.
  const cpu = await l2p(['doctor'], env);
  assert.equal(cpu.status, 0, cpu.stdout);
  assert.match(line(cpu.stdout, 'Vulkan ICD manifests'), /^✘ /);
});

test('a missing dataset is one ✘ with where it was looked for and how to provide it; nothing is written', async () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const was = snapshot([empty]);
  const r = await l2p(['doctor', '--config', 'cifar100_l2p_smoke', '--set', `data_dir=${empty}`], cpuEnv());
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(line(r.stdout, 'dataset cifar100'), new RegExp(`^✘ dataset cifar100: .*no cifar100 found.*\\n {4}fix: put cifar100 under ${empty} \\(data_dir\\) \\(tfds build cifar100, or a raw layout of docs/data\\.md\\)`));
  assert.match(line(r.stdout, 'estimated time'), /^✘ estimated time: not measured/);
  assertUnchanged(was, snapshot([empty]), empty);
});

test('the checkpoint: a good one is described, a bad one and a missing one are ✘ with the fix', async () => {
  const good = join(root, 'mu8.npz');
  saveViT(good, randomViT(decodeVariant('ViT-mu_8'), 16, 1));
  const bad = join(root, 'bad.npz');
  writeFileSync(bad, 'not a zip archive');
  const ask = (...sets: string[]) => l2p(['doctor', '--config', 'cifar100_l2p_smoke', '--set', `data_dir=${data}`, '--no-estimate', ...sets.flatMap((s) => ['--set', s])], cpuEnv());
  const ok = await ask(`init_checkpoint=${good}`);
  assert.equal(ok.status, 0, ok.stdout);
  // 38 arrays: the patch embedding's kernel and bias, class token, position embedding, 16 per block
  // (2 layer norms, q/k/v/out and 2 MLP dense layers, each a kernel and a bias) × 2, the final norm's 2.
  assert.equal(line(ok.stdout, 'checkpoint'), `✔ checkpoint: ${good}: npz, ViT-mu_8 (hidden 48, depth 2, heads 3, mlp 96, patch 8), 4×4 position embeddings, 38 arrays, every shape as expected`);
  const wrong = await ask(`init_checkpoint=${good}`, 'model_name=ViT-Ti_8');
  assert.equal(wrong.status, 1);
  assert.match(line(wrong.stdout, 'checkpoint'), /^✘ checkpoint: .*mu8\.npz': key '.*' has shape .*, expected .*\n {4}fix: pass a ViT-Ti_8 checkpoint/);
  const garbage = await ask(`init_checkpoint=${bad}`);
  assert.equal(garbage.status, 1);
  assert.match(line(garbage.stdout, 'checkpoint'), /^✘ checkpoint: .*bad\.npz.*\n {4}fix: /);
  const absent = await ask(`init_checkpoint=${join(root, 'absent.npz')}`);
  assert.equal(absent.status, 1);
  assert.match(line(absent.stdout, 'checkpoint'), /^✘ checkpoint: '.*absent\.npz': does not exist\n {4}fix: pass a ViT-mu_8 checkpoint with --set init_checkpoint=PATH/);
  const official = await l2p(['doctor', '--config', 'cifar100_l2p', '--no-estimate', '--set', `data_dir=${data}`], cpuEnv());
  assert.equal(official.status, 1);
  assert.match(line(official.stdout, 'checkpoint'), /^✘ checkpoint: init_checkpoint is not set and ViT-B_16 needs pretrained weights\n {4}fix: pass one with --set init_checkpoint=PATH .*the official ViT-B_16\.npz is at https:\/\/storage\.googleapis\.com\/vit_models\/imagenet21k\/ViT-B_16\.npz /);
});

test('Vulkan from faked directories: no loader, a manifest only where the loader does not look, a missing library, a container without graphics', () => {
  const d = mkdtempSync(join(root, 'vk-'));
  const [lib, icd, nvidia, emptyDir] = ['lib', 'icd', 'nvidia', 'none'].map((n) => (mkdirSync(join(d, n)), join(d, n)));
  const env = { HOME: d };
  let c = vulkanChecks(env, { libDirs: [emptyDir], icdDirs: [emptyDir], otherIcdDirs: [] }, true);
  assert.deepEqual(c[0], { name: 'Vulkan loader', ok: false, detail: 'libvulkan.so.1 is not on LD_LIBRARY_PATH nor in the system library directories', fix: 'apt-get install libvulkan1 (Debian/Ubuntu)', blocks: true });
  writeFileSync(join(lib, 'libvulkan.so.1'), '');
  writeFileSync(join(nvidia, 'nvidia_icd.json'), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libGLX_nvidia.so.0', api_version: '1.3.0' } }));
  c = vulkanChecks(env, { libDirs: [lib], icdDirs: [icd], otherIcdDirs: [nvidia] }, true);
  assert.equal(c[0].ok, true);
  assert.equal(c[1].ok, false);
  assert.equal(c[1].fix, `export VK_ICD_FILENAMES=${join(nvidia, 'nvidia_icd.json')} (found where the loader does not look)`);
  // Named, the manifest's library is looked for: missing, then present.
  const named = { ...env, VK_ICD_FILENAMES: join(nvidia, 'nvidia_icd.json') };
  c = vulkanChecks(named, { libDirs: [lib], icdDirs: [icd], otherIcdDirs: [nvidia] }, false);
  assert.match(c[1].detail, /its library libGLX_nvidia\.so\.0 is not on LD_LIBRARY_PATH/);
  assert.equal(c[1].blocks, false, 'advice only when the run is not on webgpu');
  writeFileSync(join(lib, 'libGLX_nvidia.so.0'), '');
  c = vulkanChecks({ ...named, NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' }, { libDirs: [lib], icdDirs: [icd], otherIcdDirs: [nvidia] }, true);
  assert.equal(c[1].ok, true, c[1].detail);
  assert.deepEqual([c[2].name, c[2].ok, c[2].blocks], ['NVIDIA_DRIVER_CAPABILITIES', false, true]);
  assert.match(c[2].fix!, /NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
});

test("versions: Node's minimum blocks, an npm that ignores allowScripts is advice; the loader's device list is read in its order", () => {
  assert.equal(nodeCheck('v20.9.0').ok, true);
  assert.deepEqual([nodeCheck('v20.8.1').ok, nodeCheck('v18.19.0').blocks], [false, true]);
  assert.equal(npmCheck('11.0.0').ok, true);
  assert.deepEqual([npmCheck('10.9.2').ok, npmCheck('10.9.2').blocks, npmCheck('10.9.2').fix], [false, false, 'npm install -g npm@11']);
  assert.equal(npmCheck(null).ok, false);
  const log = ['INFO | DRIVER:         Original order:', 'INFO | DRIVER:               [0] llvmpipe', 'INFO | DRIVER:               [1] NVIDIA H200', 'INFO | DRIVER:         Sorted order:', 'INFO | DRIVER:               [0] NVIDIA H200  ', 'INFO | DRIVER:               [1] llvmpipe (LLVM 15.0.6, 256 bits)', 'DEBUG | DRIVER:   Copying old device 0 into new device 0'].join('\n');
  assert.deepEqual(vulkanDevices(log), ['NVIDIA H200', 'llvmpipe (LLVM 15.0.6, 256 bits)']);
});

test('checkpoint formats by their first bytes: npz, a PyTorch zip, safetensors', () => {
  const npz = join(root, 'f.npz');
  saveViT(npz, randomViT(decodeVariant('ViT-mu_8'), 16, 1));
  assert.equal(checkpointFormat(npz), 'npz');
  const pt = join(root, 'f.pt');
  writeFileSync(pt, Buffer.concat([...zipChunks([{ name: 'archive/data.pkl', parts: [new Uint8Array([0x80, 2])] }], { compress: false })]));
  assert.equal(checkpointFormat(pt), 'zip (PyTorch)');
  const header = Buffer.from('{"__metadata__":{}}');
  const st = join(root, 'f.safetensors');
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(st, Buffer.concat([size, header]));
  assert.equal(checkpointFormat(st), 'safetensors');
  writeFileSync(join(root, 'f.txt'), 'text');
  assert.equal(checkpointFormat(join(root, 'f.txt')), 'unknown');
});
