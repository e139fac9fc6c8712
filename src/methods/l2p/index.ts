// L2P (Wang et al., CVPR 2022): a pool of prompts with learned keys, top_k chosen per input by the
// frozen ViT's query, prepended to the tokens. The baselines shared_prompt, head_only and joint are
// this folder's too: the same graph with another pool, selection or task list (baselines.ts).
import type { Method, TrainTask } from '../method.ts';
import { l2pFamilyModel, L2P_VARIANT } from './family.ts';

export const l2p: Method = {
  name: 'l2p',
  summary: 'L2P: a prompt pool with learned keys, top_k prompts chosen per input',
  create: (c, vit, numClasses) => l2pFamilyModel(c, L2P_VARIANT, vit, numClasses),
  trainTasks: <S>(tasks: readonly TrainTask<S>[]) => [...tasks],
  sequential: true,
};

export { headOnly, joint, sharedPrompt } from './baselines.ts';
