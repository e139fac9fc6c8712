// The data-parallel flags of `l2p train` and `l2p demo`: --data-parallel N worker processes, one per
// device, and --worker-env for what each worker's environment should say (which GPU it sees).
import { statSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { parseWorkerEnv, type ParallelOptions } from '../train/parallel.ts';
import { optionalInt } from './args.ts';

export const PARALLEL_HELP = `  --data-parallel N   run each step's num_devices micro-batches on N worker processes, one per device,
              gradients averaged here (docs/gpu.md, "Several GPUs"); N <= num_devices; each
              worker runs --threads threads (default: the cores shared out among the workers)
  --worker-env [RANK:]NAME=VALUE   set a variable in every worker's environment, or in worker RANK's;
              {rank} in VALUE becomes the worker's index (e.g. a Vulkan device selection, docs/gpu.md)
  --shm-dir DIR   where the workers share the frozen gradients of grad_clip_scope 'all' (default
              /dev/shm: memory; it needs num_devices copies of the frozen gradients, 343 MB each on ViT-B/16)`;

export const PARALLEL_OPTIONS = {
  'data-parallel': { type: 'string' },
  'worker-env': { type: 'string', multiple: true, default: [] as string[] },
  'shm-dir': { type: 'string' },
} as const;

export function parallelOption(workers: string | undefined, env: readonly string[] | undefined, shmDir?: string): ParallelOptions | undefined {
  const n = optionalInt(workers, '--data-parallel');
  if (n === undefined) {
    if (env && env.length > 0) throw new UserError('--worker-env needs --data-parallel N');
    if (shmDir !== undefined) throw new UserError('--shm-dir needs --data-parallel N');
    return undefined;
  }
  if (shmDir !== undefined && !isDir(shmDir)) throw new UserError(`--shm-dir '${shmDir}': not a folder`);
  return { workers: n, env: (env ?? []).map((s) => parseWorkerEnv(s, n)), ...(shmDir !== undefined ? { shmDir } : {}) };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
