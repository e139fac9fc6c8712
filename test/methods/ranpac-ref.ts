// RanPAC.py's closed-form step in NumPy, for the RanPAC tests (with and without the first session).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

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
  const r = spawnSync('/usr/bin/python3', ['-c', REFERENCE], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Each value within rel × the largest |want|. */
export const close = (got: ArrayLike<number>, want: number[], rel: number, what: string) => {
  const scale = Math.max(...want.map(Math.abs), 1e-30);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= rel * scale, `${what}[${i}]: ${got[i]} vs ${want[i]} (scale ${scale})`);
};
