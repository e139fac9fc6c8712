// What the test suite reads from the machine, and the Debian package that provides each: real
// Fashion-MNIST IDX files, Chromium to render the HTML report, the DejaVu fonts (glyph corpus, chart
// text), NumPy for the independent golden-case reference (scripts/golden/make_case.py), Debian's
// PyTorch for the torch.save checkpoints the backbone readers are tested on, Slurm
// with munge (the sweep test starts its own single-node cluster from them and stops it afterwards),
// and the Vulkan loader (test/runtime/webgpu.test.ts runs the WebGPU provider on chromium's SwiftShader),
// Mesa's Vulkan drivers for their device-select layer and llvmpipe (data-parallel-webgpu.test.ts
// chooses each worker's adapter with it).
// `ensureTestDeps` installs the missing ones with apt-get when it can (root on Debian), so a fresh
// machine passes `npm test` by itself; otherwise it names the command to run and fails.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const pythonImports = (mod) => spawnSync('python3', ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;

export const TEST_DEPS = [
  { pkg: 'dataset-fashion-mnist', present: () => existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz') },
  { pkg: 'chromium', present: () => has('chromium') || has('chromium-browser') || has('google-chrome') },
  { pkg: 'fonts-dejavu-core', present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf') },
  { pkg: 'fonts-dejavu-extra', present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf') },
  { pkg: 'python3-numpy', present: () => has('python3') && pythonImports('numpy') },
  // Debian's PyTorch writes the torch.save checkpoints the backbone readers are tested on (test/vit/foreign.test.ts).
  { pkg: 'python3-torch', present: () => spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0 },
  { pkg: 'slurm-wlm', present: () => has('slurmctld') || existsSync('/usr/sbin/slurmctld') },
  { pkg: 'munge', present: () => has('munged') || existsSync('/usr/sbin/munged') },
  { pkg: 'mesa-vulkan-drivers', present: () => existsSync('/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json') },
  { pkg: 'libvulkan1', present: () => spawnSync('sh', ['-c', "ldconfig -p | grep -q 'libvulkan\\.so\\.1 '"], { stdio: 'ignore' }).status === 0 },
];

/** Returns an error line, or null once every dependency is present. */
export function ensureTestDeps(log = (s) => console.error(s)) {
  const missing = TEST_DEPS.filter((d) => !d.present()).map((d) => d.pkg);
  if (missing.length === 0) return null;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const canInstall = process.getuid?.() === 0 && has('apt-get');
  if (!canInstall) return `the tests need the Debian packages ${missing.join(', ')}: run (as root) ${command}`;
  log(`installing what the tests read: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) return `apt-get ${args.join(' ')} failed (status ${r.status}); run ${command}`;
  }
  const still = TEST_DEPS.filter((d) => missing.includes(d.pkg) && !d.present()).map((d) => d.pkg);
  return still.length ? `installed, but still missing: ${still.join(', ')}` : null;
}
