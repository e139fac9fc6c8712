// The `l2p` command line: one file per command, loaded on demand so `l2p --help` stays fast.
import { UserError } from '../errors.ts';
import '../fault-counts.ts';

type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  demo: { summary: 'the embedded default experiment: Split MNIST on the shipped backbone, offline', load: () => import('./demo.ts') },
  train: { summary: 'train L2P task after task (as the official main.py)', load: () => import('./train.ts') },
  main: { summary: 'the official `python main.py` command line: --my_config FILE.py --workdir DIR', load: () => import('./main-py.ts') },
  config: { summary: 'print the configuration a run would use, as JSON or an official-style .py file', load: () => import('./config.ts') },
  eval: { summary: "re-evaluate a run's latest checkpoint on every task it has trained", load: () => import('./eval.ts') },
  predict: { summary: 'class and selected prompts of new images under a trained run', load: () => import('./predict.ts') },
  bench: { summary: 'time the L2P training and evaluation steps on random weights', load: () => import('./bench.ts') },
  pretrain: { summary: 'pretrain a small ViT on glyphs rendered from installed fonts', load: () => import('./pretrain.ts') },
  probe: { summary: "linear-probe accuracy of a backbone's frozen features on a dataset", load: () => import('./probe.ts') },
  features: { summary: 'write the frozen ViT pre_logits of a batch of images', load: () => import('./features.ts') },
  'debug-step': { summary: 'one training step on a golden-format case, writing every intermediate', load: () => import('./debug-step.ts') },
  data: { summary: 'describe or preview a dataset (data describe | data preview)', load: () => import('./data.ts') },
  report: { summary: 'an HTML report (and PNG charts) of one or more runs', load: () => import('./report.ts') },
  sweep: { summary: 'many runs over a grid of config values and seeds, locally or as a Slurm job array', load: () => import('./sweep.ts') },
  doctor: { summary: 'whether this machine can run a config: Node, ONNX Runtime, GPU, data, checkpoint, time', load: () => import('./doctor.ts') },
  serve: { summary: 'a web page that trains L2P in the browser, task after task', load: () => import('./serve.ts') },
};

function usage(): string {
  const lines = ['usage: l2p <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push('', 'Run `l2p <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`l2p: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof UserError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`l2p ${name}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}
