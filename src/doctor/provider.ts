// ONNX Runtime: its version, and whether the requested execution provider starts and runs a tiny
// graph (in a child process: provider-child.ts), with float16 (WebGPU: shader-f16) and, on WebGPU,
// the Vulkan devices the loader offers Dawn.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { providerError } from '../runtime/provider.ts';
import { runtimeInfo, type Device } from '../runtime/ort.ts';
import { type Check, fail, pass } from './check.ts';
import type { ProbeResult } from './provider-child.ts';

export function runtimeCheck(): Check {
  const { version, providers } = runtimeInfo();
  const listed = providers.map((p) => `${p.name}${p.bundled ? '' : ' (not shipped)'}`).join(', ');
  return pass('ONNX Runtime', `onnxruntime-node ${version}; providers ${listed}`);
}

/** The child's result and the loader's stderr. Source runs (.ts) need tsx in the child, as bin/l2p.mjs registers it. */
export function runProbe(device: Device, env: NodeJS.ProcessEnv = process.env): { result: ProbeResult; log: string } {
  const here = import.meta.url;
  const child = fileURLToPath(new URL(`./provider-child${here.endsWith('.ts') ? '.ts' : '.js'}`, here));
  const args = here.endsWith('.ts') ? ['--import', 'tsx', child, device] : [child, device];
  const r = spawnSync(process.execPath, args, { env: { ...env, VK_LOADER_DEBUG: 'info,driver' }, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { result: JSON.parse(line) as ProbeResult, log: r.stderr };
  } catch {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    return { result: { ran: false, error: `the probe process ended without a result (${why}): ${r.stderr.trim().split('\n').filter((l) => !/^(INFO|DEBUG|DRIVER|WARNING|ERROR|LAYER)\b|^\s/.test(l)).at(-1) ?? ''}` }, log: r.stderr };
  }
}

/** The Vulkan devices in the loader's sorted order (VK_LOADER_DEBUG's 'Sorted order' list), first first. */
export function vulkanDevices(log: string): string[] {
  const lines = log.split('\n');
  const at = lines.findIndex((l) => /Sorted order:/.test(l));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    const m = /^\S.*?\[\d+\]\s+(.*?)\s*$/.exec(l);
    if (!m) break;
    out.push(m[1]);
  }
  return out;
}

/** The provider line, the adapter line on WebGPU, and the float16 line. */
export function providerChecks(device: Device, probe: { result: ProbeResult; log: string }, needF16: boolean): Check[] {
  const { result, log } = probe;
  const name = `provider ${device}`;
  if (!result.ran) {
    const message = result.error ?? 'unknown';
    const offered = device === 'webgpu' ? vulkanDevices(log) : [];
    const why = `${message.startsWith('execution provider') ? message : providerError(device, new Error(message))}${offered.length ? `; the Vulkan loader offered ${offered.join(', ')} and Dawn took none` : ''}`;
    const fix =
      device === 'cuda'
        ? 'use --device webgpu: the npm package has no CUDA provider libraries'
        : device === 'webgpu'
          ? "a GPU driver's Vulkan ICD (see the Vulkan lines; docs/gpu.md), or for a test without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json"
          : 'reinstall onnxruntime-node (npm ci)';
    return [fail(name, why, fix, true)];
  }
  const checks = [pass(name, 'starts and runs a test graph (3x + 1) correctly')];
  if (device === 'webgpu') {
    const devices = vulkanDevices(log);
    checks.push(
      devices.length > 0
        ? pass('WebGPU adapter', `${devices[0]}${devices.length > 1 ? ` (the Vulkan loader offers ${devices.join(', ')}; Dawn prefers a discrete GPU)` : ' (the one Vulkan device the loader offers Dawn)'}`)
        : pass('WebGPU adapter', 'one was found, but the Vulkan loader did not list its devices'),
    );
  }
  const f16Name = device === 'webgpu' ? 'shader-f16' : `float16 on ${device}`;
  checks.push(result.f16 ? pass(f16Name, 'float16 kernels run (compute_precision fp16 is possible)') : fail(f16Name, result.f16Error ?? 'float16 kernels do not run', "use compute_precision 'fp32' (the presets' default)", needF16));
  return checks;
}
