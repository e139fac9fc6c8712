// A throwaway single-node Slurm cluster on this machine for tests: munged with its own key and
// socket, slurmctld and slurmd with a generated slurm.conf, all under one temporary directory,
// run as root and stopped by stop(). Nothing outside the directory is touched; the commands
// (sbatch, squeue, scontrol, sacct) find the cluster through SLURM_CONF in `env`.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SlurmCluster {
  dir: string;
  conf: string;
  /** process.env plus SLURM_CONF. */
  env: NodeJS.ProcessEnv;
  node: string;
  stop: () => void;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why a cluster cannot be started here, or null if it can. */
export function slurmUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the test cluster runs munged, slurmctld and slurmd as root';
  for (const c of ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol']) {
    if (!has(c) && !existsSync(`/usr/sbin/${c}`)) return `'${c}' is not installed (Debian packages slurm-wlm and munge; .ci/run installs them)`;
  }
  return null;
}

const sbin = (c: string) => (existsSync(`/usr/sbin/${c}`) ? `/usr/sbin/${c}` : c);

function pidOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number, log?: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = log && existsSync(log) ? `\n${readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')}` : '';
  throw new Error(`test Slurm cluster: ${what} did not come up in ${timeoutMs / 1000} s${tail}`);
}

/** Starts munged, slurmctld and slurmd; resolves once the node is idle. */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, d));
  chmodSync(join(dir, 'munge'), 0o700);
  const key = join(dir, 'munge', 'munge.key');
  const socket = join(dir, 'munge', 'munge.socket');
  const node = hostname().split('.')[0];
  // Ports away from Slurm's defaults (6817/6818), so a cluster already on this machine is left alone.
  const base = 20000 + (process.pid % 20000);
  const conf = join(dir, 'slurm.conf');
  const cpuCount = cpus().length;
  writeFileSync(
    conf,
    [
      'ClusterName=l2ptest',
      `SlurmctldHost=${node}`,
      `SlurmctldPort=${base}`,
      `SlurmdPort=${base + 1}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'SwitchType=switch/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/filetxt',
      `JobCompLoc=${join(dir, 'log', 'jobcomp.txt')}`,
      'ReturnToService=2',
      'KillWait=30',
      'MinJobAge=300',
      'SlurmdTimeout=60',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpuCount} State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const started: string[] = [];
  const stop = () => {
    for (const name of ['slurmd', 'slurmctld', 'munged']) {
      if (!started.includes(name)) continue;
      const pid = pidOf(join(dir, name === 'munged' ? 'munge/munged.pid' : `${name}.pid`));
      if (pid !== null && alive(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const end = Date.now() + 5000;
        while (alive(pid) && Date.now() < end) spawnSync('sleep', ['0.1']);
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync(sbin('mungekey'), ['--create', `--keyfile=${key}`], { stdio: 'pipe' });
    chmodSync(key, 0o600);
    execFileSync(sbin('munged'), ['--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--log-file=${join(dir, 'log', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`], { stdio: 'pipe' });
    started.push('munged');
    await waitFor('munged', () => existsSync(socket), 10_000, join(dir, 'log', 'munged.log'));
    execFileSync(sbin('slurmctld'), ['-f', conf], { env, stdio: 'pipe' });
    started.push('slurmctld');
    await waitFor('slurmctld', () => spawnSync('scontrol', ['ping'], { env, encoding: 'utf8' }).stdout.includes('is UP'), 30_000, join(dir, 'log', 'slurmctld.log'));
    execFileSync(sbin('slurmd'), ['-f', conf], { env, stdio: 'pipe' });
    started.push('slurmd');
    await waitFor(
      'slurmd',
      () => /idle/i.test(spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' }).stdout),
      30_000,
      join(dir, 'log', 'slurmd.log'),
    );
  } catch (e) {
    stop();
    throw e;
  }
  return { dir, conf, env, node, stop };
}
