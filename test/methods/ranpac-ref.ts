// RanPAC.py's closed-form step in NumPy, for the RanPAC tests (with and without the first session).
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python-cache.ts';
import type { MethodState } from '../../src/methods/index.ts';
import { loaderOrder } from '../../src/methods/ranpac/ridge-pass.ts';
import type { Learner } from '../../src/train/learner.ts';

/**
 * RanPAC.py with use_RP and M > 0, in NumPy float64, line by line: per task Features_h =
 * relu(Features_f @ W_rand) in the loader's order, Q += Hᵀ Y, G += Hᵀ H, optimise_ridge_parameter
 * (the first int(0.8 n) rows fit, the rest scored by the MSE over all classes, np.argmin over
 * 10^-8…10^8), Wo = solve(G + λI, Q)ᵀ; then the logits of test features relu(x W_rand) Woᵀ.
 */
const REFERENCE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
D, M, C = d['hidden'], d['M'], d['classes']
W_rand = np.array(d['w_rand'], dtype=np.float64).reshape(D, M)
G = np.zeros((M, M)); Q = np.zeros((M, C))
out = []
for task in d['tasks']:
    f = np.array(task['features'], dtype=np.float64).reshape(-1, D)[task['order']]
    y = np.array(task['labels'])[task['order']]
    Y = np.eye(C)[y]
    H = np.maximum(f @ W_rand, 0)
    Q = Q + H.T @ Y
    G = G + H.T @ H
    ridges = 10.0 ** np.arange(-8, 9)
    nv = int(H.shape[0] * 0.8)
    Qv = H[:nv].T @ Y[:nv]; Gv = H[:nv].T @ H[:nv]
    losses = []
    for r in ridges:
        Wv = np.linalg.solve(Gv + r * np.eye(M), Qv).T
        losses.append(np.mean((H[nv:] @ Wv.T - Y[nv:]) ** 2))
    lam = ridges[np.argmin(np.array(losses))]
    Wo = np.linalg.solve(G + lam * np.eye(M), Q).T
    t = np.maximum(np.array(task['test'], dtype=np.float64).reshape(-1, D) @ W_rand, 0)
    out.append({'G': G.ravel().tolist(), 'Q': Q.ravel().tolist(), 'lambda': float(lam), 'losses': [float(v) for v in losses], 'Wo': Wo.ravel().tolist(), 'logits': (t @ Wo.T).ravel().tolist()})
json.dump(out, sys.stdout)
`;

export interface Want { G: number[]; Q: number[]; lambda: number; losses: number[]; Wo: number[]; logits: number[] }

export function numpy(input: object): Want[] {
  const r = runPython(['-c', REFERENCE], JSON.stringify(input), 1 << 28);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Each value within rel × the largest |want|. */
export const close = (got: ArrayLike<number>, want: number[], rel: number, what: string) => {
  const scale = Math.max(...want.map(Math.abs), 1e-30);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= rel * scale, `${what}[${i}]: ${got[i]} vs ${want[i]} (scale ${scale})`);
};

/** What a learner gave after each task's pass: its state, the ridge head and the logits of 4 test images. */
export interface Got { state: MethodState; wo: Float32Array; logits: Float32Array }

/** The same deterministic images for a test and its reference, [n, size, size, 3]. */
export const testImage = (size: number) => (n: number, seed: number) => Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.sin(i * 0.37 + seed * 1.3) * 0.5 + 0.5);

/**
 * Two tasks of 30 examples (classes 0-2, then 3-5) through `learner`'s statistics passes, in batches of
 * 8, and 4 test images evaluated after each; `plain` gives the features the reference projects itself.
 */
export async function twoTasks(learner: Learner, plain: Learner, seed: number, size: number): Promise<{ got: Got[]; tasks: object[] }> {
  const model = learner.model;
  const image = testImage(size);
  const tasks: object[] = [];
  const got: Got[] = [];
  for (const [t, base] of [[0, 0], [1, 3]]) {
    const n = 30; // 24 fit rows ≥ M: the λ choice's primal form, as the official
    const labels = Int32Array.from({ length: n }, (_, i) => base + (i % 3));
    const images = image(n, 10 * t + 1);
    const pass = model.statistics!(t);
    for (let s = 0; s < n; s += 8) {
      const e = Math.min(n, s + 8);
      pass.add(await learner.features(images.subarray(s * size * size * 3, e * size * size * 3), labels.subarray(s, e)), labels.subarray(s, e));
    }
    await pass.finish(learner.params, learner.graphs);
    const testImages = image(4, 99 + t);
    const ev = await learner.evalBatch(testImages, new Int32Array(4), null);
    const state = structuredClone(model.saveState!()); // G and Q go on accumulating
    got.push({ state, wo: learner.params.get('head/kernel')!.data.slice(), logits: ev.logits.slice() });
    tasks.push({ features: [...(await plain.features(images, labels))], labels: [...labels], order: [...loaderOrder(n, seed, t)], test: [...(await plain.features(testImages, new Int32Array(4)))] });
  }
  return { got, tasks };
}
