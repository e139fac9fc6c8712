// Each method's table of the config keys it reads, by config name (the rule is src/config/keys.ts).
// Kept apart from the method modules so that config validation loads no graph code.
import type { KeyTable } from '../config/keys.ts';
import type { L2PConfig } from '../config/l2p.ts';
import { HEAD_ONLY_KEYS, JOINT_KEYS, SHARED_PROMPT_KEYS } from './l2p/baselines.keys.ts';
import { CODA_PROMPT_KEYS } from './coda-prompt/keys.ts';
import { DUALPROMPT_KEYS } from './dualprompt/keys.ts';
import { L2P_KEYS } from './l2p/keys.ts';
import { RANPAC_KEYS } from './ranpac/keys.ts';
import { SIMPLECIL_KEYS } from './simplecil/keys.ts';
import { APER_KEYS } from './aper/keys.ts';
import { HIDE_PROMPT_KEYS } from './hide-prompt/keys.ts';

export const METHOD_KEYS: Record<L2PConfig['method'], KeyTable> = {
  l2p: L2P_KEYS,
  dualprompt: DUALPROMPT_KEYS,
  coda_prompt: CODA_PROMPT_KEYS,
  shared_prompt: SHARED_PROMPT_KEYS,
  head_only: HEAD_ONLY_KEYS,
  joint: JOINT_KEYS,
  simplecil: SIMPLECIL_KEYS,
  ranpac: RANPAC_KEYS,
  aper: APER_KEYS,
  hide_prompt: HIDE_PROMPT_KEYS,
};
