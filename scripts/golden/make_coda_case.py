#!/usr/bin/env python3
"""Independent NumPy reference for one CODA-Prompt training step.

Written from GT-RIPL/CODA-Prompt (models/zoo.py CodaPrompt.forward and ortho_penalty, models/vit.py
Attention with prompt, learners/prompt.py update_model), not from the project's TypeScript; float64 with a
hand-written backward, the ViT blocks from make_case.py (the project's flax-semantics backbone).

Usage:
  python3 scripts/golden/make_coda_case.py generate NAME OUTDIR   # write case NAME (coda0, coda1, coda2)
  python3 scripts/golden/make_coda_case.py verify DIR
  python3 scripts/golden/make_coda_case.py fdcheck DIR

Semantics: pt = pool // num_tasks; task t sees components [0, f), f = (t+1)*pt, rows [0, s), s = t*pt,
without gradient.  Per prompted layer l, with the query q [B, D] (the frozen ViT's class-token output):
  aq[b,k] = q[b] * A[k];  w[b,k] = <aq[b,k]/|aq[b,k]|, K[k]/|K[k]|>;  P_[b] = sum_k w[b,k] P[k]  [Lp, D]
  prefix keys = P_[b, :Lp/2], values = P_[b, Lp/2:], reshaped to heads, before the projected keys/values.
Logits = head(encoder_norm output at the class token); loss = mean CE over the current task's classes
(others at -inf) + ortho_mu * sum_l [pen(K) + pen(A) + pen(P.reshape(f, -1))], pen(T) = mean((T T^T - I)^2).
One Adam step (0.9, 0.999, eps 1e-8) from zero moments, no clipping.  "devices": N splits the batch as the
official pmap step of L2P and DualPrompt does (devices.py): each device its own mean CE and penalty,
gradients averaged over devices.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_case as mc  # noqa: E402
import reference as ref  # noqa: E402
from devices import pmap_step  # noqa: E402


def names(cfg):
  out = []
  for l in cfg['layers']:
    out += [f'prompt/e_p_{l}', f'prompt/e_k_{l}', f'prompt/e_a_{l}']
  return out + ['head/kernel', 'head/bias']


def normalize(x):
  n = np.sqrt((x * x).sum(-1, keepdims=True))
  return x / np.maximum(n, 1e-12), n


def normalize_bwd(dy, x, n):
  y = x / n
  return (dy - y * (dy * y).sum(-1, keepdims=True)) / n


def device_step(cfg, vit, params, batch, with_grads=True):
  """One device's step on its slice: (out, grads, [], None) as devices.py takes them (out alone without grads)."""
  dt = np.float64
  heads, depth, lp = cfg['heads'], cfg['depth'], cfg['length']
  pt = cfg['pool'] // cfg['num_tasks']
  s, f = cfg['task_id'] * pt, (cfg['task_id'] + 1) * pt
  blocks = [ref.block_params(vit, i, dt) for i in range(depth)]
  P = {l: np.asarray(params[f'prompt/e_p_{l}'], dt) for l in cfg['layers']}
  K = {l: np.asarray(params[f'prompt/e_k_{l}'], dt) for l in cfg['layers']}
  A = {l: np.asarray(params[f'prompt/e_a_{l}'], dt) for l in cfg['layers']}
  wh, bh = np.asarray(params['head/kernel'], dt), np.asarray(params['head/bias'], dt)
  labels = np.asarray(batch['labels']).astype(np.int64)
  b = labels.shape[0]
  x = ref.embed(batch['images'], vit, cfg['patch'], dt)
  d = x.shape[-1]
  enc0, _ = ref.encoder_fwd(x, blocks, heads, vit, dt)
  q = enc0[:, 0]
  half = lp // 2
  caches, lc = [], {}
  for lyr in range(depth):
    pk = pv = None
    if lyr in cfg['layers']:
      Pf, Kf, Af = P[lyr][:f], K[lyr][:f], A[lyr][:f]
      aq = q[:, None, :] * Af[None]  # [B, f, D]
      aqn, aq_n = normalize(aq)
      kn, k_n = normalize(Kf)
      w = (aqn * kn[None]).sum(-1)  # [B, f]
      pr = np.einsum('bk,kld->bld', w, Pf)  # [B, Lp, D]
      pk = pr[:, :half].reshape(b, half, heads, d // heads)
      pv = pr[:, half:].reshape(b, lp - half, heads, d // heads)
      lc[lyr] = (aq, aqn, aq_n, Kf, kn, k_n, w, Pf)
    x, c = ref.block_fwd(x, blocks[lyr], heads, pk, pv)
    caches.append(c)
  enc, c_norm = ref.layernorm_fwd(x, np.asarray(vit['Transformer/encoder_norm/scale'], dt),
                                 np.asarray(vit['Transformer/encoder_norm/bias'], dt))
  feat = enc[:, 0]
  logits = feat @ wh + bh
  ce, dlogits = ref.masked_ce(logits, labels, batch['class_mask'])

  mu = cfg['ortho_mu']
  ortho = 0.0
  gortho = {}
  for l in cfg['layers']:
    for name, T in ((f'prompt/e_k_{l}', K[l][:f]), (f'prompt/e_a_{l}', A[l][:f]), (f'prompt/e_p_{l}', P[l][:f].reshape(f, -1))):
      G = T @ T.T - np.eye(f)
      ortho += mu * (G * G).mean()
      gortho[name] = mu * 4.0 / (f * f) * (G @ T)  # d/dT of mu * mean(G^2), G symmetric
  loss = ce + ortho
  out = {'pre_logits': q, 'logits': logits, 'ce': np.asarray(ce), 'ortho': np.asarray(ortho),
         'loss': np.asarray(loss)}
  for l in cfg['layers']:
    out[f'weights/{l}'] = lc[l][6]
  if not with_grads:
    return out

  grads = {n: np.zeros(np.shape(params[n])) for n in names(cfg)}
  grads['head/kernel'] = feat.T @ dlogits
  grads['head/bias'] = dlogits.sum(0)
  denc = np.zeros_like(enc)
  denc[:, 0] = dlogits @ wh.T
  dx = ref.layernorm_bwd(denc, c_norm)
  for lyr in reversed(range(depth)):
    dx, dpk, dpv = ref.block_bwd(dx, caches[lyr], blocks[lyr], with_prefix=True)
    if lyr not in cfg['layers']:
      continue
    aq, aqn, aq_n, Kf, kn, k_n, w, Pf = lc[lyr]
    dpr = np.concatenate([dpk.reshape(b, half, d), dpv.reshape(b, lp - half, d)], axis=1)  # [B, Lp, D]
    dw = np.einsum('bld,kld->bk', dpr, Pf)
    dP = np.einsum('bk,bld->kld', w, dpr)
    daqn = dw[:, :, None] * kn[None]
    dkn = (dw[:, :, None] * aqn).sum(0)
    daq = normalize_bwd(daqn, aq, aq_n)
    dA = (daq * q[:, None, :]).sum(0)
    dK = normalize_bwd(dkn, Kf, k_n)
    for name, gr in ((f'prompt/e_p_{lyr}', dP), (f'prompt/e_k_{lyr}', dK), (f'prompt/e_a_{lyr}', dA)):
      if mu > 0:
        gr = gr + gortho[name].reshape(gr.shape)
      grads[name][s:f] = gr[s:f]  # earlier components are detached, later ones unused
  return out, grads, [], None


def step(cfg, vit, params, batch):
  """The step over cfg['devices'] devices (devices.py), without a clip: expected.npz's arrays."""
  rows = ['pre_logits', 'logits'] + [f'weights/{l}' for l in cfg['layers']]
  return pmap_step(cfg, batch, params, names(cfg), lambda sub: device_step(cfg, vit, params, sub), rows,
                   ['ce', 'ortho', 'loss'], clip=False)[0]


CASES = {
    # task 1 of 3 with 2 components per task: components 0-1 frozen, 2-3 trained, 4-5 unused;
    # prompted layers 0 and 2 of 3; ortho penalty on.
    'coda0': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=3, pool=6, length=4, ortho_mu=0.1,
                  layers=[0, 2], num_tasks=3, task_id=1, batch=4, classes=6, class_mask=[2, 3], lr=0.01),
    # task 0 of 2 (pool 5: int(5/2) = 2 components per task, component 4 never used), no ortho penalty,
    # every layer prompted.
    'coda1': dict(img=16, patch=8, dim=24, heads=3, mlp=32, depth=2, pool=5, length=2, ortho_mu=0.0,
                  layers=[0, 1], num_tasks=2, task_id=0, batch=3, classes=4, class_mask=[0, 1], lr=0.001),
    # two devices (each its own mean CE and penalty, gradients averaged), task 1 of 2, ortho penalty on.
    'coda2': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=2, pool=4, length=2, ortho_mu=0.1,
                  layers=[0, 1], num_tasks=2, task_id=1, batch=6, devices=2, classes=4, class_mask=[2, 3], lr=0.01),
}


def build_inputs(name, seed):
  s = CASES[name]
  rng = np.random.default_rng(seed)
  vit = mc.random_vit(rng, s['img'], s['patch'], s['dim'], s['heads'], s['mlp'], s['depth'], 3)
  params = {}
  for l in s['layers']:
    params[f'prompt/e_p_{l}'] = rng.normal(0, 0.5, size=(s['pool'], s['length'], s['dim']))
    params[f'prompt/e_k_{l}'] = rng.normal(0, 0.5, size=(s['pool'], s['dim']))
    params[f'prompt/e_a_{l}'] = rng.normal(0, 0.5, size=(s['pool'], s['dim']))
  params['head/kernel'] = rng.normal(0, 0.3, size=(s['dim'], s['classes']))
  params['head/bias'] = rng.normal(0, 0.1, size=(s['classes'],))
  params = {k: v.astype(np.float32) for k, v in params.items()}
  images = rng.uniform(0, 1, size=(s['batch'], s['img'], s['img'], 3)).astype(np.float32)
  cm = np.asarray(s['class_mask'], np.int32)
  labels = cm[rng.integers(0, len(cm), size=s['batch'])].astype(np.int32)
  return dict(s, seed=seed, method='coda_prompt'), vit, params, {'images': images, 'labels': labels, 'class_mask': cm}


def load(dirname):
  with open(os.path.join(dirname, 'case.json')) as fh:
    cfg = json.load(fh)
  ld = lambda n: dict(np.load(os.path.join(dirname, n)))
  return cfg, ld('vit.npz'), ld('coda.npz'), ld('batch.npz')


def fdcheck(dirname, h=1e-6):
  cfg, vit, params, batch = load(dirname)
  out = step(cfg, vit, params, batch)
  return ref.fd_compare(names(cfg), out, params, lambda p: device_step(cfg, vit, p, batch, with_grads=False)['loss'],
                        np.random.default_rng(0), per=3, h=h)


def main(argv):
  cmd = argv[1]
  if cmd == 'generate':
    cfg, vit, params, batch = build_inputs(argv[2], 0)
    out = step(cfg, vit, params, batch)
    cfg['semantics'] = __doc__.split('Semantics: ')[1].strip()
    d = os.path.join(argv[3], argv[2])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'case.json'), 'w') as fh:
      json.dump(cfg, fh, indent=1)
    mc.save_npz(os.path.join(d, 'vit.npz'), vit)
    mc.save_npz(os.path.join(d, 'coda.npz'), params)
    mc.save_npz(os.path.join(d, 'batch.npz'), batch)
    mc.save_npz(os.path.join(d, 'expected.npz'), {k: np.asarray(v, np.float32) for k, v in out.items()})
    print(f'case {argv[2]}: loss {float(out["loss"]):.6f} ce {float(out["ce"]):.6f} ortho {float(out["ortho"]):.6f}')
    return 0
  if cmd == 'verify':
    cfg, vit, params, batch = load(argv[2])
    worst = mc.compare(step(cfg, vit, params, batch), argv[2])
    return 0 if worst < 1e-5 else 1
  if cmd == 'fdcheck':
    return 0 if fdcheck(argv[2]) < 1e-5 else 1
  print(__doc__)
  return 2


if __name__ == '__main__':
  sys.exit(main(sys.argv))
