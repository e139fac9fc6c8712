// `l2p sweep --device`: the name is checked before anything is written, the plan keeps it, every
// point's `l2p train` gets it (local pool and Slurm array script), and the runs use that provider:
// with no Vulkan driver the point fails with the WebGPU provider's own line, and on SwiftShader
// (Vulkan on the CPU, from Debian's chromium) it finishes with the CPU provider's numbers.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { run as sweep } from '../../src/cli/sweep.ts';
import { UserError } from '../../src/errors.ts';
import { TRAIN_LOG } from '../../src/sweep/attempts.ts';
import { readPlan, runDir } from '../../src/sweep/plan.ts';
import { sweepStatus } from '../../src/sweep/status.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const root = mkdtempSync(join(tmpdir(), 'l2p-sweep-device-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function quiet<T>(f: () => Promise<T>): Promise<{ value: T; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    return { value: await f(), out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

const BASE = ['--config', 'split_mnist_l2p_smoke', '--seeds', '0'];

test('a bad --device is refused before anything is written', async () => {
  const dir = join(root, 'bad');
  await assert.rejects(quiet(() => sweep([...BASE, '--workdir', dir, '--device', 'tpu'])), (e: unknown) => e instanceof UserError && /--device must be cpu, cuda, webgpu; got 'tpu'/.test(e.message));
  await assert.rejects(quiet(() => sweep([...BASE, '--workdir', dir, '--device', 'gpu', '--launcher', 'slurm', '--no-launch'])), /--device must be/);
  assert.equal(existsSync(dir), false);
});

test('the Slurm array script passes --device to every task; without --device it passes none', async () => {
  const gpu = join(root, 'slurm-gpu');
  assert.equal((await quiet(() => sweep([...BASE, '--workdir', gpu, '--launcher', 'slurm', '--no-launch', '--gpus', '1', '--device', 'webgpu']))).value, 0);
  assert.equal(readPlan(gpu).device, 'webgpu');
  const script = readFileSync(join(gpu, 'sweep.sbatch'), 'utf8');
  assert.match(script, / '--resume' '--threads' '1' '--device' 'webgpu' >> "\$run\/train\.log" 2>&1 &\n/);
  const cpu = join(root, 'slurm-cpu');
  assert.equal((await quiet(() => sweep([...BASE, '--workdir', cpu, '--launcher', 'slurm', '--no-launch']))).value, 0);
  assert.equal(readPlan(cpu).device, undefined);
  assert.doesNotMatch(readFileSync(join(cpu, 'sweep.sbatch'), 'utf8'), /--device/);
});

test('a local sweep on webgpu: no driver fails the point with the provider line; on SwiftShader it runs as on the CPU', { timeout: 240_000 }, async () => {
  const saved = { icd: process.env.VK_ICD_FILENAMES, files: process.env.VK_DRIVER_FILES, xdg: process.env.XDG_RUNTIME_DIR };
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'l2p-xdg-'));
  delete process.env.VK_DRIVER_FILES;
  try {
    // The children inherit this environment: a driver manifest that does not exist.
    process.env.VK_ICD_FILENAMES = join(root, 'no-such-icd.json');
    const dir = join(root, 'local-gpu');
    const first = await quiet(() => sweep([...BASE, '--workdir', dir, '--device', 'webgpu']));
    assert.equal(first.value, 1, first.out);
    assert.match(first.out, /on webgpu\)/);
    const id = readPlan(dir).points[0].id;
    const log = () => readFileSync(join(runDir(dir, id), TRAIN_LOG), 'utf8');
    assert.match(log(), /l2p train: execution provider 'webgpu' cannot start: no Vulkan driver: the manifest\(s\) named by VK_DRIVER_FILES\/VK_ICD_FILENAMES \('.*no-such-icd\.json'\) do not exist/);
    assert.equal(sweepStatus(dir).points[0].state, 'failed');

    // resubmit keeps the plan's device; now Vulkan runs on the CPU.
    assert.ok(existsSync(SWIFTSHADER), `${SWIFTSHADER} is missing (Debian: apt-get install chromium; npm test installs it)`);
    process.env.VK_ICD_FILENAMES = SWIFTSHADER;
    const re = await quiet(() => sweep(['resubmit', dir]));
    assert.equal(re.value, 0, re.out + log());
    assert.match(log(), /ONNX Runtime on the webgpu provider/);
    const cpuDir = join(root, 'local-cpu');
    assert.equal((await quiet(() => sweep([...BASE, '--workdir', cpuDir]))).value, 0);
    const cpuLog = readFileSync(join(runDir(cpuDir, id), TRAIN_LOG), 'utf8');
    assert.match(cpuLog, /ONNX Runtime on the cpu provider/);
    assert.doesNotMatch(cpuLog, /webgpu/);
    const summary = (d: string) => JSON.parse(readFileSync(join(runDir(d, id), 'summary.json'), 'utf8'));
    const [g, c] = [summary(dir), summary(cpuDir)];
    assert.deepEqual(g.acc_matrix, c.acc_matrix);
    assert.deepEqual(g.prompt_usage, c.prompt_usage);
  } finally {
    for (const [k, v] of [['VK_ICD_FILENAMES', saved.icd], ['VK_DRIVER_FILES', saved.files], ['XDG_RUNTIME_DIR', saved.xdg]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
