// `l2p main`: the official `python main.py` command line, flag for flag: --my_config FILE.py[:ARG]
// with --my_config.key=VALUE overrides, --workdir, --exp_id (joined to the workdir as os.path.join
// does), and the JAX and absl flags main.py accepts, which have nothing to act on here and are named
// in one notice. Like the official code, a workdir that holds this run continues from its checkpoint.
import { UserError } from '../errors.ts';
import { optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';
import { takeMyConfig } from './my-config.ts';
import { trainRun } from './train.ts';

const HELP = `usage: l2p main --my_config FILE.py[:ARG] --workdir DIR [--my_config.key=VALUE ...] [--exp_id ID]
                [--threads N] [--workers N] [--device cpu|webgpu]

The official \`python main.py\` command line: trains the experiment of an ml_collections config file,
read without running Python (docs/official-workflow.md says which Python it reads).
  --my_config FILE.py[:ARG]   the config file; ARG, if given, is passed to get_config(ARG)
  --my_config.a.b=VALUE       override a key the file defines, parsed by the type the file gives it
  --workdir DIR               where the run is written; a run already there continues from its checkpoint
  --exp_id ID                 run in DIR/ID instead
  --threads, --workers        ONNX Runtime threads and image decoding workers (ours)
${DEVICE_HELP}
Flags of JAX (--jax_*) and absl logging and debugging (--alsologtostderr, --log_dir, -v, ...) are
accepted and ignored, with one notice.`;

/** absl's boolean flags (given bare, as --noNAME, or as --NAME=true|false) that main.py accepts. */
const ABSL_BOOL = new Set(['alsologtostderr', 'logtostderr', 'showprefixforinfo', 'only_check_args', 'pdb_post_mortem', 'pdb', 'run_with_pdb', 'run_with_profiling', 'use_cprofile_for_profiling']);
/** absl's flags that take a value. */
const ABSL_VALUE = new Set(['log_dir', 'verbosity', 'v', 'stderrthreshold', 'logger_levels', 'profile_file', 'undefok']);
/** JAX's boolean flags (the others, such as --jax_backend_target and --jax_platforms, take a value). */
const JAX_BOOL = new Set([
  'jax_enable_x64', 'jax_disable_jit', 'jax_debug_nans', 'jax_debug_infs', 'jax_log_compiles', 'jax_enable_checks', 'jax_check_tracer_leaks',
  'jax_traceback_filtering', 'jax_dynamic_shapes', 'jax_numpy_rank_promotion', 'jax_spmd_mode', 'jax_enable_custom_prng', 'jax_threefry_partitionable',
]);
const OURS = new Set(['workdir', 'exp_id', 'threads', 'workers', 'device']);

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('--helpfull') || argv.includes('--helpshort')) {
    console.log(HELP);
    return 0;
  }
  const my = takeMyConfig(argv);
  const values: Record<string, string> = {};
  const ignored: string[] = [];
  const rest = my.rest;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const m = /^--?([A-Za-z_][\w.-]*)(?:=([\s\S]*))?$/.exec(a);
    if (!m) throw new UserError(`unexpected argument '${a}' (python main.py takes flags only)`);
    let [, name, value] = m;
    if (name === 'flagfile') throw new UserError('--flagfile is not supported: give the flags on the command line');
    const bare = name.startsWith('no') && (ABSL_BOOL.has(name.slice(2)) || JAX_BOOL.has(name.slice(2))) ? name.slice(2) : name;
    if (OURS.has(name)) {
      if (value === undefined) value = rest[++i];
      if (value === undefined) throw new UserError(`--${name} needs a value`);
      values[name] = value; // absl: the last one given wins
    } else if (ABSL_BOOL.has(bare) || JAX_BOOL.has(bare)) {
      ignored.push(a);
    } else if (ABSL_VALUE.has(name) || name.startsWith('jax_')) {
      if (value === undefined && rest[i + 1] === undefined) throw new UserError(`--${name} needs a value`);
      ignored.push(value === undefined ? `${a} ${rest[++i]}` : a);
    } else throw new UserError(`unknown flag '${a}' (python main.py takes --my_config, --workdir, --exp_id and JAX/absl flags)`);
  }
  if (!my.config) throw new UserError(`--my_config FILE.py is required\n\n${HELP}`);
  if (values.workdir === undefined) throw new UserError('--workdir is required');
  if (ignored.length > 0) console.error(`note: flags for JAX and absl logging have nothing to act on here and are ignored: ${ignored.join(' ')}`);
  const workdir = values.exp_id ? pyJoin(values.workdir, values.exp_id) : values.workdir;
  return trainRun(my.config, workdir, {
    resume: true,
    threads: optionalInt(values.threads, '--threads'),
    workers: optionalInt(values.workers, '--workers', { min: 0 }),
    device: deviceOption(values.device),
  });
}

/** Python's os.path.join(a, b) on POSIX: an absolute b replaces a; otherwise one '/' between them. */
export function pyJoin(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  return a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;
}
