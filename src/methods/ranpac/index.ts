// RanPAC (McDonnell et al., "RanPAC: Random projections and pre-trained models for continual
// learning", NeurIPS 2023), as RanPAC.py runs its 'ncm' rows with use_RP: nothing trains; after each
// task the frozen backbone's features of the task's training data (evaluation transform) go through a
// frozen random projection and ReLU, their Gram matrix G and class sums Q accumulate over the tasks,
// λ is chosen on the task's own rows, and the head is the ridge solution Wo = ((G + λI)⁻¹ Q)ᵀ. With
// `petl` 'vpt' (its 'vpt' rows) task 0 first tunes VPT prompts and a cosine head by gradient (the
// shared first session, ../vpt-session.ts), which then stay frozen, and every task's statistics and
// evaluation read the adapted pre_logits instead of the frozen ones. Its 'adapter' and 'ssf' rows
// need PETL modules we do not have: refused by name.
import { UserError } from '../../errors.ts';
import { EngineProducts, randomProjection, RidgeStats } from '../../linalg/index.ts';
import type { L2PConfig } from '../../config/l2p.ts';
import type { ViTConfig } from '../../vit/variants.ts';
import { isStateArray, type Method, type MethodModel, type MethodState } from '../method.ts';
import { buildRanpacEvalStep, initRanpacParams } from './model.ts';
import { ridgePass } from './ridge-pass.ts';
import { VPT_SESSION_TRAINS, initVptSessionParams, vptSessionTrain, type VptOptions } from '../vpt-session.ts';

/** The official rows whose first session is a PETL module other than VPT (RanPAC's args/*_publish.csv, rows 5–7). */
const UNSUPPORTED_PETL: Record<string, string> = {
  adapter: "an AdaptFormer adapter (the 'adapter' rows 5–7 of cifar224, cub, core50, domainnet, cddb)",
  ssf: "SSF scale-and-shift (the 'ssf' rows 5–7 of imagenetr, imageneta, vtab)",
};

function vptOf(c: L2PConfig, vit: ViTConfig, numClasses: number): VptOptions | null {
  const petl = c.petl ?? 'ncm';
  if (petl === 'ncm') {
    const set = (['vpt_type', 'prompt_token_num'] as const).filter((k) => c[k] !== undefined);
    if (set.length) throw new UserError(`config key '${set[0]}' is read by method 'ranpac' only with petl 'vpt' (its first session); petl is 'ncm'`);
    return null;
  }
  if (petl !== 'vpt') throw new UserError(`config key 'petl' = '${petl}': RanPAC's first session with ${UNSUPPORTED_PETL[petl]} is not implemented; 'vpt' (the rows of cars, omnibenchmark) and 'ncm' are`);
  if (c.vpt_type === undefined || c.prompt_token_num === undefined) throw new UserError("config keys 'vpt_type' and 'prompt_token_num' are required by method 'ranpac' with petl 'vpt' (official: deep, 5)");
  return { vit, numClasses, vptType: c.vpt_type, tokens: c.prompt_token_num };
}

export const ranpac: Method = {
  name: 'ranpac',
  summary: 'RanPAC: ridge head on random-projected frozen features, G and Q over the tasks, λ per task',
  create: (c, vit, numClasses, runtime): MethodModel => {
    if (c.use_RP !== true) throw new UserError(`config key 'use_RP' = ${JSON.stringify(c.use_RP)}: method 'ranpac' is the use_RP head; the official use_RP false head is SimpleCIL's prototypes (method 'simplecil')`);
    const vpt = vptOf(c, vit.config, numClasses);
    const M = c.M ?? 0;
    const hidden = vit.config.hidden;
    const projected = M > 0;
    const width = projected ? M : hidden;
    // W_rand is regenerated from the seed, not checkpointed: it is a function of (seed, D, M) alone,
    // and at the official M = 10,000 it would add 30 MB to every checkpoint.
    const params = initRanpacParams(projected ? randomProjection(c.seed, hidden, M) : null, hidden, width, numClasses);
    if (vpt) for (const [k, v] of initVptSessionParams(vpt, c.seed)) params.set(k, v);
    // Engine sessions are compiled on first use, one per shape, on the CPU provider (float64 Gemm)
    // with the run's --threads.
    const products = new EngineProducts({ threads: runtime?.threads });
    const stats = new RidgeStats(width, numClasses, products);
    const lambdas: number[] = [];
    const losses: number[][] = []; // a task's losses are replaced whole by its fit, never changed in place
    return {
      vit: vit.config,
      numClasses,
      params,
      trains: vpt ? VPT_SESSION_TRAINS : [],
      fitted: ['head/*'],
      // RanPAC.py _train: the PETL module trains on the first task only, then setup_RP and replace_fc.
      phases: (t) => (vpt && t === 0 ? ['gradient', 'statistics'] : ['statistics']),
      statistics: (t) =>
        ridgePass(t, {
          stats,
          products,
          seed: c.seed,
          fitted(t, fit) {
            lambdas[t] = fit.choice.lambda;
            losses[t] = fit.choice.losses;
            // console.warn: stderr under Node, the console in the page (which has no process).
            if (fit.notice) console.warn(`notice: ${fit.notice}`);
          },
        }),
      train: vpt
        ? vptSessionTrain(vpt, 'ranpac')
        : () => {
            throw new UserError("method 'ranpac' has no training step: each task is fitted in closed form from its features");
          },
      eval: (s) => ({
        key: `eval:${s.batch}:${s.queryFed}:${s.features}`,
        build: () => buildRanpacEvalStep(s.params, { vit: vit.config, batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, queryFed: s.queryFed, features: s.features, projected, vpt }),
        feeds: () => ({}),
      }),
      evalSelection: 'none',
      // The adapted features are not the frozen query: nothing cached can stand in for them.
      usesQuery: vpt === null,
      startTask: () => {},
      selectionAccuracy: () => null,
      kept: () => ({
        values: { M: width, G_shape: [width, width], Q_shape: [width, numClasses], examples: stats.count, ridge_lambda: lambdas.slice(), ridge_losses: losses.slice() },
        text: `RanPAC keeps G ${width}×${width} and Q ${width}×${numClasses} (float64, ${((8 * width * (width + numClasses)) / 2 ** 20).toFixed(1)} MiB) over ${stats.count} examples; ridge λ per task: ${lambdas.map((l) => l.toExponential(0)).join(', ')}`,
      }),
      // G (upper triangle) and Q in float64, flushed by each fit; λ and its 17 losses per task.
      saveState: (): MethodState => ({
          ridge_G: { shape: [width, width], data: stats.G },
          ridge_Q: { shape: [width, numClasses], data: stats.Q },
          ridge_count: [[stats.count]],
          ridge_lambda: [lambdas.slice()],
          ridge_losses: losses.slice(),
      }),
      loadState: (s) => {
        if (!s) return;
        const G = s.ridge_G;
        const Q = s.ridge_Q;
        if (!isStateArray(G) || !isStateArray(Q)) throw new UserError("the checkpoint's RanPAC state has no G or Q ('method/ridge_G', 'method/ridge_Q')");
        if (G.data.length !== stats.G.length || Q.data.length !== stats.Q.length) {
          throw new UserError(`the checkpoint's RanPAC G [${G.shape}] / Q [${Q.shape}] do not match M = ${width} and ${numClasses} classes`);
        }
        stats.G.set(G.data);
        stats.Q.set(Q.data);
        stats.count = (s.ridge_count as number[][])[0][0];
        lambdas.splice(0, lambdas.length, ...((s.ridge_lambda as number[][] | undefined)?.[0] ?? []));
        losses.splice(0, losses.length, ...((s.ridge_losses as number[][] | undefined) ?? []));
      },
    };
  },
  trainTasks: (tasks) => [...tasks],
  sequential: true,
  // CIL: the official head has the seen classes' rows only (fc replaced with total_classes rows each
  // task); DIL: every task has every class, so all are ranked (its head keeps total_classnum rows).
  evalClasses: 'seen',
};
