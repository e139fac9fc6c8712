// The named presets: the official L2P and DualPrompt configs, CODA-Prompt's official settings,
// LAMDA-PILOT's SimpleCIL settings (configs/*.ts), and a `<name>_smoke` shrink of each.
import { UserError } from '../errors.ts';
import { cifar100_gaussian_l2p } from '../../configs/cifar100_gaussian_l2p.ts';
import { cifar100_dualprompt } from '../../configs/cifar100_dualprompt.ts';
import { cifar100_coda_prompt, domainnet_coda_prompt, imr_coda_prompt, imr_coda_prompt_20task, imr_coda_prompt_5task } from '../../configs/coda_prompt.ts';
import { cifar100_l2p } from '../../configs/cifar100_l2p.ts';
import { imr_dualprompt } from '../../configs/imr_dualprompt.ts';
import { split_mnist_coda_prompt, split_mnist_dualprompt } from '../../configs/split_mnist_methods.ts';
import { core50_l2p } from '../../configs/core50_l2p.ts';
import { domainnet_l2p, domainnet_l2p_cil } from '../../configs/domainnet_l2p.ts';
import { five_datasets_l2p } from '../../configs/five_datasets_l2p.ts';
import { split_mnist_l2p } from '../../configs/split_mnist_l2p.ts';
import { cifar100_simplecil, imr_simplecil, split_mnist_simplecil } from '../../configs/simplecil.ts';
import { cifar100_ranpac, cifar100_ranpac_m0, cifar100_ranpac_vpt, core50_ranpac, core50_ranpac_m0, domainnet_ranpac, domainnet_ranpac_m0, imr_ranpac, imr_ranpac_m0, imr_ranpac_vpt, split_mnist_ranpac, split_mnist_ranpac_vpt } from '../../configs/ranpac.ts';
import { cifar100_aper, imr_aper, split_mnist_aper } from '../../configs/aper.ts';
import { cifar100_hideprompt, imr_hideprompt, split_mnist_hide_prompt } from '../../configs/hide_prompt.ts';
import { parseL2PConfig, type L2PConfig } from './l2p.ts';
import { closest } from './schema.ts';
import { smoke } from './smoke.ts';

const FULL: Record<string, L2PConfig> = {
  cifar100_l2p,
  cifar100_gaussian_l2p,
  five_datasets_l2p,
  core50_l2p,
  domainnet_l2p,
  domainnet_l2p_cil,
  split_mnist_l2p,
  cifar100_dualprompt,
  imr_dualprompt,
  cifar100_coda_prompt,
  imr_coda_prompt,
  imr_coda_prompt_5task,
  imr_coda_prompt_20task,
  domainnet_coda_prompt,
  split_mnist_dualprompt,
  split_mnist_coda_prompt,
  cifar100_simplecil,
  imr_simplecil,
  split_mnist_simplecil,
  cifar100_ranpac,
  cifar100_ranpac_m0,
  imr_ranpac,
  imr_ranpac_m0,
  core50_ranpac,
  core50_ranpac_m0,
  domainnet_ranpac,
  domainnet_ranpac_m0,
  split_mnist_ranpac,
  cifar100_ranpac_vpt,
  imr_ranpac_vpt,
  split_mnist_ranpac_vpt,
  cifar100_aper,
  imr_aper,
  split_mnist_aper,
  cifar100_hideprompt,
  imr_hideprompt,
  split_mnist_hide_prompt,
};

const PRESETS = new Map<string, () => L2PConfig>();
for (const [name, config] of Object.entries(FULL)) {
  PRESETS.set(name, () => config);
  PRESETS.set(`${name}_smoke`, () => smoke(config));
}

/** Every preset name: each official one followed by its smoke variant. */
export function presetNames(): string[] {
  return [...PRESETS.keys()];
}

/** A fresh, validated copy of the named preset; a UserError listing the names if there is none. */
export function getPreset(name: string): L2PConfig {
  const make = PRESETS.get(name);
  if (!make) {
    const near = closest(name, presetNames());
    const hint = near === undefined ? '' : ` (did you mean '${near}'?)`;
    throw new UserError(`unknown preset '${name}'${hint}; the presets are: ${presetNames().join(', ')}`);
  }
  // Parsing copies every object and list, so callers may change the result freely.
  return parseL2PConfig(make());
}
