// `l2p doctor`: whether this machine can run what is asked, line by line, each failure with its fix.
import { parseArgs } from 'node:util';
import { blocked, type Check, fail, formatCheck } from '../doctor/check.ts';
import { checkpointCheck } from '../doctor/checkpoint.ts';
import { datasetCheck } from '../doctor/dataset.ts';
import { estimateCheck, measureStep } from '../doctor/estimate.ts';
import { nodeCheck, npmCheck, npmVersion } from '../doctor/node.ts';
import { providerChecks, runProbe, runtimeCheck } from '../doctor/provider.ts';
import { defaultDirs, vulkanChecks } from '../doctor/vulkan.ts';
import { UserError } from '../errors.ts';
import { disposeAll, type Device } from '../runtime/ort.ts';
import { deviceOption } from './device.ts';
import { givenConfig, takeMyConfig } from './my-config.ts';

const HELP = `usage: l2p doctor [--device cpu|webgpu|cuda] [--config <preset | file.json> | --my_config FILE.py[:ARG] [--my_config.key=value ...]] [--set key=value ...] [--no-estimate]

Checks, one line each (✔ or ✘, and the fix for each ✘): Node and npm, ONNX Runtime and the execution
providers (a test graph run on the CPU and on --device), the Vulkan loader, driver manifests, the
WebGPU adapter and shader-f16; with --config, the checkpoint it names (format, variant, shapes), its
dataset (where it is found, split sizes per task) and the run's estimated time on this machine from
one measured step. Exits with status 1 when a ✘ blocks the run asked for.
  --device       the provider to check (default cpu)
  --config       a preset or a JSON config file, as for l2p train
  --my_config    an official-style config file, as for l2p main and l2p train
  --set          override a config key, as for l2p train
  --no-estimate  skip the measured step (it builds the config's model: a minute or more for ViT-B/16 on a CPU)`;

export async function run(argv: string[]): Promise<number> {
  const my = takeMyConfig(argv);
  const { values } = parseArgs({
    args: my.rest,
    options: {
      device: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'no-estimate': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const device: Device = deviceOption(values.device) ?? 'cpu';
  if (!values.config && !my.config && values.set?.length) throw new UserError('--set needs --config or --my_config');
  const config = givenConfig(values.config, my, values.set ?? []) ?? null;
  const checks: Check[] = [];
  const say = (...cs: Check[]) => cs.forEach((c) => (checks.push(c), console.log(formatCheck(c))));
  try {
    say(nodeCheck(), npmCheck(npmVersion()), runtimeCheck());
    say(...providerChecks('cpu', runProbe('cpu'), device === 'cpu' && config?.compute_precision === 'fp16'));
    say(...vulkanChecks(process.env, defaultDirs(), device === 'webgpu'));
    if (device !== 'cpu') say(...providerChecks(device, runProbe(device), config?.compute_precision === 'fp16'));
    if (config) {
      say(checkpointCheck(config));
      const { check, stream } = await datasetCheck(config);
      say(check);
      const deviceOk = !checks.some((c) => !c.ok && c.name === `provider ${device}`);
      if (!values['no-estimate']) {
        say(
          stream && deviceOk
            ? estimateCheck(config, device, stream, await measureStep(config, device))
            : fail('estimated time', `not measured: it needs the dataset's split sizes and the ${device} provider`, 'fix the lines above', false),
        );
      }
    }
  } finally {
    await disposeAll();
  }
  const bad = blocked(checks);
  console.log(bad ? `✘ the ${config ? 'run' : `${device} provider`} cannot start here: fix the ✘ lines marked above` : `✔ ready${config ? '' : ` for --device ${device}`}`);
  return bad ? 1 : 0;
}
