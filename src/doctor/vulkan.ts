// What the WebGPU provider needs below it: the Vulkan loader, and driver (ICD) manifests where the
// loader reads them, each naming a library that can be found. NVIDIA's container images keep the
// manifest under /usr/local/nvidia, where the loader does not look, so it is searched for here too.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { LIB_DIRS, vulkanLoader } from '../runtime/provider.ts';
import { type Check, fail, pass } from './check.ts';

/** Where the loader reads manifests when no variable names them (its XDG search, as on Debian). */
export function loaderIcdDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean);
  const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const home = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local/share');
  return [...config.map((d) => join(d, 'vulkan/icd.d')), '/etc/vulkan/icd.d', ...data.map((d) => join(d, 'vulkan/icd.d')), join(home, 'vulkan/icd.d')];
}

/** Places drivers are installed that the loader does not search. */
export const OTHER_ICD_DIRS = ['/usr/local/nvidia/share/vulkan/icd.d', '/usr/local/nvidia/etc/vulkan/icd.d', '/usr/lib/chromium'];

export interface VulkanDirs {
  libDirs: readonly string[];
  icdDirs: readonly string[];
  otherIcdDirs: readonly string[];
}

export const defaultDirs = (env: NodeJS.ProcessEnv = process.env): VulkanDirs => ({ libDirs: LIB_DIRS, icdDirs: loaderIcdDirs(env), otherIcdDirs: OTHER_ICD_DIRS });

function manifests(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    try {
      for (const f of readdirSync(d).sort()) if (f.endsWith('.json') && /icd|vulkan|nvidia/i.test(f)) out.push(join(d, f));
    } catch {
      // an absent directory holds no manifest
    }
  }
  return [...new Set(out)];
}

/** The manifest's library, or why it cannot be used (unreadable, or its library not found). */
export function manifestLibrary(file: string, env: NodeJS.ProcessEnv, libDirs: readonly string[]): { library: string } | { problem: string } {
  let lib: unknown;
  try {
    lib = (JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path;
  } catch (e) {
    return { problem: `cannot be read: ${(e as Error).message.split('\n')[0]}` };
  }
  if (typeof lib !== 'string') return { problem: 'names no ICD.library_path' };
  if (lib.includes('/')) {
    const path = isAbsolute(lib) ? lib : join(dirname(file), lib);
    return existsSync(path) ? { library: path } : { problem: `its library ${path} does not exist` };
  }
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...libDirs];
  const found = dirs.map((d) => join(d, lib)).find((p) => existsSync(p));
  return found ? { library: found } : { problem: `its library ${lib} is not on LD_LIBRARY_PATH nor in ${libDirs.join(', ')}` };
}

export function vulkanChecks(env: NodeJS.ProcessEnv, dirs: VulkanDirs, blocks: boolean): Check[] {
  const checks: Check[] = [];
  const loader = vulkanLoader(env, dirs.libDirs);
  checks.push(loader ? pass('Vulkan loader', loader) : fail('Vulkan loader', 'libvulkan.so.1 is not on LD_LIBRARY_PATH nor in the system library directories', 'apt-get install libvulkan1 (Debian/Ubuntu)', blocks));
  const named = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const listed = named ? named.split(':').filter(Boolean) : manifests(dirs.icdDirs);
  const where = named ? `named by ${env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'}` : `in ${dirs.icdDirs.join(', ')}`;
  const usable: string[] = [];
  const problems: string[] = [];
  for (const m of listed) {
    if (!existsSync(m)) {
      problems.push(`${m} does not exist`);
      continue;
    }
    const lib = manifestLibrary(m, env, dirs.libDirs);
    if ('library' in lib) usable.push(`${m} (${lib.library})`);
    else problems.push(`${m}: ${lib.problem}`);
  }
  const elsewhere = named ? [] : manifests(dirs.otherIcdDirs).filter((m) => !listed.includes(m));
  const hint = elsewhere.length > 0 ? `export VK_ICD_FILENAMES=${elsewhere[0]} (found where the loader does not look)` : 'install the GPU driver\'s Vulkan ICD, or without a GPU: apt-get install chromium and export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';
  if (usable.length > 0) checks.push(pass('Vulkan ICD manifests', `${usable.join(', ')} ${where}${problems.length ? `; unusable: ${problems.join('; ')}` : ''}`));
  else checks.push(fail('Vulkan ICD manifests', problems.length ? `none usable ${where}: ${problems.join('; ')}` : `none ${where}${elsewhere.length ? `; found elsewhere: ${elsewhere.join(', ')}` : ''}`, hint, blocks));
  const caps = env.NVIDIA_DRIVER_CAPABILITIES;
  if (caps !== undefined && !/\b(all|graphics)\b/.test(caps)) {
    checks.push(fail('NVIDIA_DRIVER_CAPABILITIES', `'${caps}' leaves out graphics: the container gets no Vulkan driver libraries`, "start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or 'all')", blocks));
  }
  return checks;
}
