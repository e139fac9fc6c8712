// Why an execution provider could not start, in one line that names what is missing. ONNX Runtime's
// own message for WebGPU is the same ("No supported adapters") whether the Vulkan loader, a driver or
// an adapter is absent, so the loader and the driver manifests are looked for here; for CUDA, the
// provider's libraries that onnxruntime-node's install script downloads, and CUDA's own.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

/** Where the Vulkan loader (libvulkan.so.1) is found: LD_LIBRARY_PATH, then the usual library directories. */
export function vulkanLoader(env: NodeJS.ProcessEnv = process.env, libDirs: readonly string[] = LIB_DIRS): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...libDirs];
  for (const d of dirs) if (existsSync(join(d, 'libvulkan.so.1'))) return join(d, 'libvulkan.so.1');
  return null;
}

/** The Vulkan driver manifests the loader will read: VK_DRIVER_FILES / VK_ICD_FILENAMES, else the ICD directories. */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env, icdDirs: readonly string[] = ICD_DIRS): string[] {
  const named = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (named) return named.split(':').filter((f) => f && existsSync(f));
  const found: string[] = [];
  for (const d of icdDirs) {
    try {
      for (const f of readdirSync(d)) if (f.endsWith('.json')) found.push(join(d, f));
    } catch {
      // an absent directory holds no driver
    }
  }
  return found;
}

/** ONNX Runtime's message without its source location (".../webgpu_context.cc:136 ... was false."). */
function shortReason(e: Error): string {
  const first = e.message.split('\n')[0];
  const cut = first.lastIndexOf(' was false. ');
  return (cut >= 0 ? first.slice(cut + ' was false. '.length) : first).trim();
}

/** Where to look: the library and ICD manifest directories, onnxruntime-node's native folder (tests point them elsewhere). */
export interface SearchDirs {
  libDirs: readonly string[];
  icdDirs: readonly string[];
  ortBin?: string;
}

/** onnxruntime-node's native libraries for this platform (where its install script puts the CUDA provider). */
export function ortBinDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** The CUDA provider's libraries, as onnxruntime-node's install script names them. */
export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
/** What ONNX Runtime 1.30's CUDA provider loads from CUDA 12 and cuDNN 9. */
export const CUDA_LIBS = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcudnn.so.9'];

export const CUDA_INSTALL =
  'with a network, run onnxruntime-node\'s install script: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js ' +
  '(or npm ci with "allowScripts": {"onnxruntime-node": true} in package.json and without ONNXRUNTIME_NODE_INSTALL=skip)';

/**
 * What --device cuda lacks before ONNX Runtime is asked (which would print its own error besides):
 * the platform, onnxruntime-node's CUDA provider, CUDA 12's libraries; null where all are there.
 */
export function cudaMissing(env: NodeJS.ProcessEnv = process.env, dirs: SearchDirs = { libDirs: LIB_DIRS, icdDirs: ICD_DIRS }): string | null {
  const head = "execution provider 'cuda' cannot start";
  if (`${process.platform}/${process.arch}` !== 'linux/x64') return `${head}: onnxruntime-node has a CUDA provider for Linux x64 only, not ${process.platform}/${process.arch} (use --device webgpu)`;
  const bin = dirs.ortBin ?? ortBinDir();
  const absent = CUDA_PROVIDER_LIBS.filter((f) => !existsSync(join(bin, f)));
  if (absent.length > 0) return `${head}: onnxruntime-node's CUDA provider is not installed (no ${absent.join(', ')} in ${bin}); ${CUDA_INSTALL}`;
  const libDirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...dirs.libDirs];
  const missing = CUDA_LIBS.filter((f) => !libDirs.some((d) => existsSync(join(d, f))));
  if (missing.length > 0) return `${head}: the CUDA provider is installed but CUDA 12's libraries are not found (${missing.join(', ')} neither on LD_LIBRARY_PATH nor in the system library directories; install CUDA 12 and cuDNN 9)`;
  return null;
}

export function providerError(device: string, e: Error, env: NodeJS.ProcessEnv = process.env, dirs: SearchDirs = { libDirs: LIB_DIRS, icdDirs: ICD_DIRS }): string {
  const head = `execution provider '${device}' cannot start`;
  if (device === 'cuda') return cudaMissing(env, dirs) ?? `${head}: ${shortReason(e)} (the CUDA provider and CUDA 12's libraries are there: nvidia-smi shows whether a GPU and its driver are)`;
  if (device !== 'webgpu') return `${head}: ${shortReason(e)}`;
  if (!/adapter|vulkan|device/i.test(e.message)) return `${head}: ${shortReason(e)}`;
  if (!vulkanLoader(env, dirs.libDirs)) {
    return `${head}: no Vulkan loader (libvulkan.so.1 is not on LD_LIBRARY_PATH nor in the system library directories; Debian: apt-get install libvulkan1)`;
  }
  const drivers = vulkanDrivers(env, dirs.icdDirs);
  if (drivers.length === 0) {
    const named = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
    return named
      ? `${head}: no Vulkan driver: the manifest(s) named by VK_DRIVER_FILES/VK_ICD_FILENAMES ('${named}') do not exist`
      : `${head}: no Vulkan driver (no ICD manifest in ${dirs.icdDirs.join(', ')}; without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)`;
  }
  // On the H200 machines a driver whose own libraries were missing (glvnd) read exactly so; the
  // loader's log says which (docs/gpu.md).
  return `${head}: no WebGPU adapter from the Vulkan driver(s) ${drivers.join(', ')}: ${shortReason(e)} (VK_LOADER_DEBUG=error,driver shows why a driver did not load)`;
}
