#!/usr/bin/env python3
"""Independent NumPy reference for one DualPrompt training step (official JAX HEAD semantics).

Written from the official google-research/l2p code (models/vit.py, models/prompt.py,
models/prefix_attention.py, train_continual.py) and ../shared/golden/README.md, not from the project's
TypeScript.  float64 with a hand-written backward; the ViT blocks come from make_case.py.

Usage:
  python3 scripts/golden/make_dp_case.py verify DIR            # recompute DIR/expected.npz (dp0 included)
  python3 scripts/golden/make_dp_case.py fdcheck DIR           # finite differences of the five gradients
  python3 scripts/golden/make_dp_case.py generate NAME OUTDIR  # write case NAME (dp1 .. dp5)

Semantics beyond L2P's (see make_case.py for the ViT, the selection and the loss):
  * 'prefix' (g-prompt): prefix-tuning [depth, 2, Lg, H, hd] (same_key_value: [depth, 1, Lg, H, hd], tiled
    to keys and values), or prompt-tuning [depth, Lg, D]; only the rows of g_layers are used.
  * 'prompt_pool/prompt' (e-prompts): prefix-tuning [nE, 2, M, Le, H, hd] (index 0 keys, 1 values), or
    prompt-tuning [nE, M, Le, D]; row j serves the j-th e-layer in ascending order.  The selected ids'
    prompts are concatenated in selection order.
  * At layer l, prefix-tuning: keys/values of the attention become [g prefix (if l in g_layers),
    e prefixes (if l in e_layers), projected keys/values]. Prompt-tuning: at an e-layer, the layer input
    becomes [g tokens (if l in g_layers), e tokens, x] (official: g tokens go in only beside e tokens).
  * classifier 'token': encoder_norm output at index total_prompt_len = Lg*len(g_layers) (g prompt-tuning)
    + Le*top_k*len(e_layers) (e prompt-tuning); 'gap': mean over all tokens.
  * training ids: the prompt mask task_id*top_k .. +top_k-1 when use_prompt_mask, else selection by
    similarity (batch-wise vote when batchwise); evaluation: selection by similarity, before the update.
  * clip over the five trainable tensors (clip_scope 'trained'), or also over every backbone gradient of
    the prompted model (clip_scope 'all', as dp0); one Adam step as make_case.py.
  * "devices": N: the official pmap step (devices.py); evaluation, pmapped too, votes per device.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_case as mc  # noqa: E402
import reference as ref  # noqa: E402
from devices import pmap_step  # noqa: E402

TRAINABLE = ['prefix', 'prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias']


def flags(cfg):
  return (cfg.get('use_prefix_tune_for_g_prompt', True), cfg.get('use_prefix_tune_for_e_prompt', True),
          cfg.get('same_key_value', False), cfg.get('use_prompt_mask', True))


def forward(cfg, vit, params, images, idx):
  """Prompted forward with e-prompt ids idx [B, k]; returns logits, feat, and what backward needs."""
  dt = np.float64
  gpt, ept, skv, _ = flags(cfg)
  depth, heads, k = cfg['depth'], cfg['heads'], cfg['top_k']
  blocks = [ref.block_params(vit, i, dt) for i in range(depth)]
  prefix = np.asarray(params['prefix'], dt) if cfg['g_layers'] else None
  pool = np.asarray(params['prompt_pool/prompt'], dt)
  wh, bh = np.asarray(params['head/kernel'], dt), np.asarray(params['head/bias'], dt)
  x = ref.embed(images, vit, cfg['patch'], dt)
  b, _, d = x.shape
  e_rows = sorted(cfg['e_layers'])
  caches, ntoks = [], []
  for lyr in range(depth):
    in_g = prefix is not None and lyr in cfg['g_layers']
    in_e = lyr in e_rows
    pk = pv = None
    toks = []
    if in_g and gpt:
      gk, gv = prefix[lyr, 0], prefix[lyr, -1]  # same_key_value: one stored row is both
      pk, pv = np.broadcast_to(gk, (b,) + gk.shape), np.broadcast_to(gv, (b,) + gv.shape)
    if in_e:
      j = e_rows.index(lyr)
      if ept:
        ek = pool[j, 0][idx].reshape(b, -1, heads, d // heads)
        ev = pool[j, 1][idx].reshape(b, -1, heads, d // heads)
        pk = ek if pk is None else np.concatenate([pk, ek], 1)
        pv = ev if pv is None else np.concatenate([pv, ev], 1)
      else:
        if in_g and not gpt:
          toks.append(np.broadcast_to(prefix[lyr], (b,) + prefix[lyr].shape))
        toks.append(pool[j][idx].reshape(b, -1, d))
    ntok = sum(t.shape[1] for t in toks)
    if ntok:
      x = np.concatenate(toks + [x], axis=1)
    ntoks.append(ntok)
    x, c = ref.block_fwd(x, blocks[lyr], heads, pk, pv)
    caches.append(c)
  enc, c_norm = ref.layernorm_fwd(x, np.asarray(vit['Transformer/encoder_norm/scale'], dt),
                                 np.asarray(vit['Transformer/encoder_norm/bias'], dt))
  total = 0
  if cfg['g_layers'] and not gpt:
    total += cfg['g_length'] * len(cfg['g_layers'])
  if not ept:
    total += cfg['e_length'] * k * len(e_rows)
  if cfg.get('classifier', 'token') == 'token':
    feat = enc[:, total]
  else:
    feat = enc.mean(1)
  logits = feat @ wh + bh
  return logits, feat, (blocks, caches, c_norm, ntoks, enc.shape, total, e_rows, b, d)


def backward(cfg, params, idx, dlogits, feat, fc, images=None, vit=None):
  """Gradients of the prompt tensors and the head from dlogits (the key's pull term is added apart).

  With images and vit, also every backbone gradient of the prompted model (encoder_norm, blocks, position
  embedding, cls, embedding), a list in that fixed order, returned as grads['<backbone>']."""
  gpt, ept, skv, _ = flags(cfg)
  blocks, caches, c_norm, ntoks, enc_shape, total, e_rows, b, d = fc
  heads, k = cfg['heads'], cfg['top_k']
  wh = np.asarray(params['head/kernel'], np.float64)
  grads = {n: np.zeros(np.shape(params[n])) for n in TRAINABLE if n in params}
  grads['head/kernel'] = feat.T @ dlogits
  grads['head/bias'] = dlogits.sum(0)
  dfeat = dlogits @ wh.T
  denc = np.zeros(enc_shape)
  if cfg.get('classifier', 'token') == 'token':
    denc[:, total] = dfeat
  else:
    denc[:] = dfeat[:, None, :] / enc_shape[1]
  dx = ref.layernorm_bwd(denc, c_norm)
  frozen = []
  if vit is not None:
    frozen += [(denc * c_norm[0]).sum((0, 1)), denc.sum((0, 1))]  # encoder_norm
  for lyr in reversed(range(cfg['depth'])):
    wg = {} if vit is not None else None
    dx, dpk, dpv = ref.block_bwd(dx, caches[lyr], blocks[lyr], with_prefix=True, wgrads=wg)
    if wg is not None:
      frozen += [wg[n] for n in sorted(wg)]
    in_g = cfg['g_layers'] and lyr in cfg['g_layers']
    in_e = lyr in e_rows
    off = 0
    if in_g and gpt:
      lg = cfg['g_length']
      gp = grads['prefix']
      if skv:
        gp[lyr, 0] += dpk[:, :lg].sum(0) + dpv[:, :lg].sum(0)
      else:
        gp[lyr, 0] += dpk[:, :lg].sum(0)
        gp[lyr, 1] += dpv[:, :lg].sum(0)
      off = lg
    if in_e and ept:
      j = e_rows.index(lyr)
      le = cfg['e_length']
      np.add.at(grads['prompt_pool/prompt'][j, 0], idx, dpk[:, off:].reshape(b, k, le, heads, d // heads))
      np.add.at(grads['prompt_pool/prompt'][j, 1], idx, dpv[:, off:].reshape(b, k, le, heads, d // heads))
    if ntoks[lyr]:
      dt_ = dx[:, :ntoks[lyr]]
      dx = dx[:, ntoks[lyr]:]
      o = 0
      if in_g and not gpt:
        lg = cfg['g_length']
        grads['prefix'][lyr] += dt_[:, :lg].sum(0)
        o = lg
      j = e_rows.index(lyr)
      np.add.at(grads['prompt_pool/prompt'][j], idx, dt_[:, o:].reshape(b, k, cfg['e_length'], d))
  if vit is not None:
    # dx: the gradient of [cls, patches] + pos_embedding, the embedding's output
    x = np.asarray(images, np.float64)
    pt = cfg['patch']
    gh, gw = x.shape[1] // pt, x.shape[2] // pt
    patches = x[:, :gh * pt, :gw * pt].reshape(b, gh, pt, gw, pt, 3).transpose(0, 1, 3, 2, 4, 5).reshape(b, gh * gw, -1)
    frozen += [dx.sum(0), dx[:, 0].sum(0)]  # position embedding, cls
    frozen += [dx[:, 1:].sum((0, 1)), np.einsum('bnp,bnd->pd', patches, dx[:, 1:])]  # embedding
    grads['<backbone>'] = frozen
  return grads


def query(cfg, vit, images):
  dt = np.float64
  blocks = [ref.block_params(vit, i, dt) for i in range(cfg['depth'])]
  enc, _ = ref.encoder_fwd(ref.embed(images, vit, cfg['patch'], dt), blocks, cfg['heads'], vit, dt)
  return enc[:, 0]


def train_ids(cfg, sim, b):
  _, _, _, use_mask = flags(cfg)
  k = cfg['top_k']
  if use_mask:
    start = cfg['task_id'] * k
    assert start + k <= cfg['pool']
    return np.repeat(np.arange(start, start + k)[None], b, axis=0)
  return ref.select_prompts(sim, k, cfg['batchwise'])[0]


def dp_device(cfg, vit, params, batch):
  """One device's evaluation and training step on its slice: (out, grads, frozen, info) as devices.py takes them."""
  labels = np.asarray(batch['labels']).astype(np.int64)
  cm = np.asarray(batch['class_mask']).astype(np.int64)
  b = labels.shape[0]
  pre_logits = query(cfg, vit, batch['images'])
  key = np.asarray(params['prompt_pool/key'], np.float64)
  qn, _ = ref.l2_normalize(pre_logits)
  kn, c_kn = ref.l2_normalize(key)
  sim = qn @ kn.T
  idx = train_ids(cfg, sim, b)
  eval_idx, _ = ref.select_prompts(sim, cfg['top_k'], cfg['batchwise'])
  logits, feat, fc = forward(cfg, vit, params, batch['images'], idx)
  ce, dlogits = ref.masked_ce(logits, labels, cm)
  reduce_sim = (kn[idx] * qn[:, None, :]).sum() / b
  loss = ce - cfg['pull'] * reduce_sim
  scope_all = cfg.get('clip_scope') == 'all'
  grads = backward(cfg, params, idx, dlogits, feat, fc, *((batch['images'], vit) if scope_all else ()))
  frozen = grads.pop('<backbone>', [])
  dkn = np.zeros_like(kn)
  np.add.at(dkn, idx, np.broadcast_to(-cfg['pull'] / b * qn[:, None, :], kn[idx].shape))
  grads['prompt_pool/key'] = ref.l2_normalize_bwd(dkn, c_kn)
  out = {'pre_logits': pre_logits, 'sim': sim, 'train_prompt_idx': idx.astype(np.int32), 'logits': logits,
         'ce': np.asarray(ce), 'reduce_sim': np.asarray(reduce_sim), 'loss': np.asarray(loss),
         'eval_prompt_idx': eval_idx.astype(np.int32),
         'eval_logits': forward(cfg, vit, params, batch['images'], eval_idx)[0]}
  return out, grads, frozen, None


def dp_step(cfg, vit, params, batch):
  """The step over cfg['devices'] devices (devices.py; evaluation too votes per device): expected.npz's arrays."""
  names = [n for n in TRAINABLE if n in params]
  rows = ['pre_logits', 'sim', 'train_prompt_idx', 'logits', 'eval_prompt_idx', 'eval_logits']
  return pmap_step(cfg, batch, params, names, lambda sub: dp_device(cfg, vit, params, sub), rows,
                   ['ce', 'reduce_sim', 'loss'])[0]


def loss_at(cfg, vit, params, batch, idx):
  labels = np.asarray(batch['labels']).astype(np.int64)
  b = labels.shape[0]
  logits, _, _ = forward(cfg, vit, params, batch['images'], idx)
  ce, _ = ref.masked_ce(logits, labels, np.asarray(batch['class_mask']).astype(np.int64))
  qn, _ = ref.l2_normalize(query(cfg, vit, batch['images']))
  kn, _ = ref.l2_normalize(np.asarray(params['prompt_pool/key'], np.float64))
  return ce - cfg['pull'] * (kn[idx] * qn[:, None, :]).sum() / b


def fdcheck(dirname, h=1e-6, seed=0):
  cfg, vit, params, batch = mc.load_case(dirname)
  out = dp_step(cfg, vit, params, batch)
  idx = out['train_prompt_idx']
  return ref.fd_compare([n for n in TRAINABLE if n in params], out, params,
                        lambda p: loss_at(cfg, vit, p, batch, idx), np.random.default_rng(seed), per=4, h=h)


# ----------------------------------------------------------------------------- generation

CASES = {
    # prompt-tuning for both: g tokens beside e tokens at layer 1, e tokens at layers 1 and 2; mask on;
    # per-instance selection at evaluation.
    'dp1': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=3, g_length=2, g_layers=[1], e_layers=[2, 1],
                pool=6, e_length=2, top_k=2, batchwise=False, batch=4, classes=6, class_mask=[2, 3, 4],
                task_id=1, pull=0.5, lr=0.01, clip=100.0, classifier='token',
                use_prefix_tune_for_g_prompt=False, use_prefix_tune_for_e_prompt=False,
                same_key_value=False, use_prompt_mask=True, clip_scope='all'),
    # prefix-tuning with same_key_value for the g-prefix; no prompt mask: training selects per instance.
    'dp2': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=3, g_length=3, g_layers=[0, 2], e_layers=[1, 2],
                pool=5, e_length=1, top_k=2, batchwise=False, batch=4, classes=5, class_mask=[0, 1, 2, 3, 4],
                task_id=0, pull=1.0, lr=0.01, clip=0.5, classifier='token',
                use_prefix_tune_for_g_prompt=True, use_prefix_tune_for_e_prompt=True,
                same_key_value=True, use_prompt_mask=False, clip_scope='all'),
    # g prefix-tuning beside e prompt-tuning, gap classifier, batch-wise vote at evaluation.
    'dp3': dict(img=16, patch=8, dim=24, heads=3, mlp=32, depth=2, g_length=2, g_layers=[0], e_layers=[1],
                pool=4, e_length=3, top_k=1, batchwise=True, batch=5, classes=6, class_mask=[4, 5],
                task_id=2, pull=1.0, lr=0.02, clip=1.0, classifier='gap',
                use_prefix_tune_for_g_prompt=True, use_prefix_tune_for_e_prompt=False,
                same_key_value=False, use_prompt_mask=True, clip_scope='trained'),
    # g prefix-tuning at layers 1 and 2, not 0: a g-prefix put by position (0, 1) instead of by layer
    # differs here; e-prefixes at layers 2 and 3; mask on.
    'dp4': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=4, g_length=2, g_layers=[1, 2], e_layers=[2, 3],
                pool=6, e_length=2, top_k=2, batchwise=True, batch=4, classes=6, class_mask=[2, 3, 4, 5],
                task_id=1, pull=1.0, lr=0.01, clip=1.0, classifier='token',
                use_prefix_tune_for_g_prompt=True, use_prefix_tune_for_e_prompt=True,
                same_key_value=False, use_prompt_mask=True, clip_scope='all'),
    # two devices, no prompt mask: each device's batch-wise vote picks the training prompts of its half
    # (the halves vote differently, in training and in evaluation); g-prefix at layer 1; clip over all.
    'dp5': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=3, g_length=2, g_layers=[1], e_layers=[0, 2],
                pool=5, e_length=2, top_k=2, batchwise=True, batch=6, devices=2, classes=6, class_mask=[0, 1, 2],
                task_id=0, pull=1.0, lr=0.01, clip=1.0, classifier='token',
                use_prefix_tune_for_g_prompt=True, use_prefix_tune_for_e_prompt=True,
                same_key_value=False, use_prompt_mask=False, clip_scope='all'),
}


def build_inputs(name, seed):
  s = CASES[name]
  rng = np.random.default_rng(seed)
  vit = mc.random_vit(rng, s['img'], s['patch'], s['dim'], s['heads'], s['mlp'], s['depth'], 3)
  d, h, hd = s['dim'], s['heads'], s['dim'] // s['heads']
  ne = len(s['e_layers'])
  if s['use_prefix_tune_for_g_prompt']:
    gshape = (s['depth'], 1 if s['same_key_value'] else 2, s['g_length'], h, hd)
  else:
    gshape = (s['depth'], s['g_length'], d)
  eshape = ((ne, 2, s['pool'], s['e_length'], h, hd) if s['use_prefix_tune_for_e_prompt']
            else (ne, s['pool'], s['e_length'], d))
  params = {
      'prefix': rng.uniform(-1, 1, size=gshape),
      'prompt_pool/prompt': rng.uniform(-1, 1, size=eshape),
      'prompt_pool/key': rng.normal(0, 0.3, size=(s['pool'], d)),
      'head/kernel': rng.normal(0, 0.3, size=(d, s['classes'])),
      'head/bias': rng.normal(0, 0.1, size=(s['classes'],)),
  }
  params = {k: v.astype(np.float32) for k, v in params.items()}
  images = rng.uniform(0, 1, size=(s['batch'], s['img'], s['img'], 3)).astype(np.float32)
  cm = np.asarray(s['class_mask'], np.int32)
  labels = cm[rng.integers(0, len(cm), size=s['batch'])].astype(np.int32)
  cfg = dict(s, seed=seed, method='dualprompt')
  return cfg, vit, params, {'images': images, 'labels': labels, 'class_mask': cm}


def acceptable(cfg, out):
  g = np.concatenate([np.abs(out['grad/' + n]).ravel() for n in TRAINABLE])
  nz = g[g != 0]
  if nz.min() < 1e-6 * nz.max() or not np.isfinite(out['loss']):
    return False
  srt = -np.sort(-out['sim'], axis=1)[:, :cfg['top_k'] + 1]
  if np.min(srt[:, :-1] - srt[:, 1:]) < 1e-3:
    return False
  if not cfg['batchwise'] and len({tuple(r) for r in out['eval_prompt_idx'].tolist()}) < 2:
    return False  # per-instance selection must differ between inputs
  if not cfg['use_prompt_mask'] and len({tuple(r) for r in out['train_prompt_idx'].tolist()}) < 2:
    return False
  if cfg.get('devices', 1) > 1:
    # each device votes on its own slice: the slices' selections differ, in training and evaluation
    halves = lambda k: {tuple(map(tuple, h.tolist())) for h in np.split(out[k], cfg['devices'])}
    if len(halves('train_prompt_idx')) < 2 or len(halves('eval_prompt_idx')) < 2:
      return False
  if cfg['clip_scope'] == 'all':
    trained = np.sqrt(sum((out['grad/' + n] ** 2).sum() for n in TRAINABLE))
    if out['grad_norm'] < 1.01 * trained:
      return False  # the frozen gradients must move the norm by more than the tests' tolerance
  return (out['clip_factor'] < 1.0) == (cfg['clip'] < 10)


def generate(name, outroot):
  for seed in range(2000):
    cfg, vit, params, batch = build_inputs(name, seed)
    out = dp_step(cfg, vit, params, batch)
    if acceptable(cfg, out):
      break
  else:
    raise SystemExit(f'no acceptable seed for {name}')
  scope = ('every gradient of the prompted model, frozen backbone included' if cfg['clip_scope'] == 'all'
           else 'the five trainable tensors')
  cfg['semantics'] = (f'official JAX HEAD DualPrompt (see scripts/golden/make_dp_case.py); clip over {scope}; '
                      'generated by the independent float64 NumPy reference')
  d = os.path.join(outroot, name)
  os.makedirs(d, exist_ok=True)
  with open(os.path.join(d, 'case.json'), 'w') as f:
    json.dump(cfg, f, indent=1)
  mc.save_npz(os.path.join(d, 'vit.npz'), vit)
  mc.save_npz(os.path.join(d, 'l2p.npz'), params)
  mc.save_npz(os.path.join(d, 'batch.npz'), batch)
  mc.save_npz(os.path.join(d, 'expected.npz'),
              {k: (v.astype(np.int32) if k.endswith('prompt_idx') else np.asarray(v, np.float32)) for k, v in out.items()})
  print(f'case {name}: seed {seed}, loss {float(out["loss"]):.6f}, clip_factor {float(out["clip_factor"]):.4f}, '
        f'train ids {out["train_prompt_idx"].tolist()}, eval ids {out["eval_prompt_idx"].tolist()}')


def main(argv):
  cmd = argv[1]
  if cmd == 'verify':
    cfg, vit, params, batch = mc.load_case(argv[2])
    out = dp_step(cfg, vit, params, batch)
    worst = mc.compare(out, argv[2])
    print(f'  worst: {worst:.3e}')
    return 0 if worst < 1e-5 else 1
  if cmd == 'fdcheck':
    return 0 if fdcheck(argv[2]) < 1e-5 else 1
  if cmd == 'generate':
    generate(argv[2], argv[3])
    return 0
  print(__doc__)
  return 2


if __name__ == '__main__':
  sys.exit(main(sys.argv))
