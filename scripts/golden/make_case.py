#!/usr/bin/env python3
"""Independent NumPy reference for one L2P training step (official JAX HEAD semantics).

Written from the official google-research/l2p code (models/vit.py, models/prompt.py,
models/prefix_attention.py, train_continual.py) and the golden README, without looking at the
project's TypeScript sources.  Everything is computed in float64 (or float32 with --dtype float32,
used only to estimate how far a float32 implementation may drift), with a hand-written backward.

Usage:
  python3 scripts/golden/make_case.py verify DIR            # recompute DIR/expected.npz from its inputs
  python3 scripts/golden/make_case.py fdcheck DIR           # finite-difference check of the gradients
  python3 scripts/golden/make_case.py f32drift DIR          # float32 run of this code vs float64
  python3 scripts/golden/make_case.py generate NAME OUTDIR  # write case NAME (b, c, d, g) into OUTDIR/NAME

The model itself (forward, hand-written backward, the step) is reference.py.
"""
import json
import os
import sys

import numpy as np

from reference import TRAINABLE, fd_compare, l2p_step, loss_only


# ----------------------------------------------------------------------------- io

def load_case(dirname):
  with open(os.path.join(dirname, 'case.json')) as f:
    cfg = json.load(f)
  vit = dict(np.load(os.path.join(dirname, 'vit.npz')))
  l2p = dict(np.load(os.path.join(dirname, 'l2p.npz')))
  batch = dict(np.load(os.path.join(dirname, 'batch.npz')))
  return cfg, vit, l2p, batch


def compare(out, dirname):
  exp = dict(np.load(os.path.join(dirname, 'expected.npz')))
  worst = 0.0
  keys = sorted(set(exp) | set(out))
  for k in keys:
    if k not in exp or k not in out:
      print(f'  {k:32s} MISSING in {"expected" if k not in exp else "ours"}')
      worst = np.inf
      continue
    a = np.asarray(out[k], np.float64)
    e = np.asarray(exp[k], np.float64)
    if a.shape != e.shape:
      print(f'  {k:32s} shape {a.shape} vs {e.shape}')
      worst = np.inf
      continue
    diff = float(np.max(np.abs(a - e))) if a.size else 0.0
    rel = float(np.max(np.abs(a - e) / np.maximum(1.0, np.abs(e)))) if a.size else 0.0
    worst = max(worst, rel)
    print(f'  {k:32s} shape {str(e.shape):18s} max|diff| {diff:.3e}  (rel>1: {rel:.3e})')
  return worst


def save_npz(path, d):
  np.savez(path, **d)


# ----------------------------------------------------------------------------- generation

def xavier(rng, shape, fan_in, fan_out):
  lim = np.sqrt(6.0 / (fan_in + fan_out))
  return rng.uniform(-lim, lim, size=shape)


def random_vit(rng, img, patch, dim, heads, mlp, depth, head_classes):
  hd = dim // heads
  ntok = 1 + (img // patch) ** 2
  small = lambda *s: rng.normal(0, 0.2, size=s)
  v = {}
  v['embedding/kernel'] = xavier(rng, (patch, patch, 3, dim), patch * patch * 3, dim) * 1.5
  v['embedding/bias'] = small(dim)
  v['cls'] = small(1, 1, dim)
  v['Transformer/posembed_input/pos_embedding'] = small(1, ntok, dim)
  v['Transformer/encoder_norm/scale'] = 1.0 + small(dim)
  v['Transformer/encoder_norm/bias'] = small(dim)
  v['pre_logits/kernel'] = small(dim, dim)
  v['pre_logits/bias'] = small(dim)
  v['head/kernel'] = np.zeros((dim, head_classes))
  v['head/bias'] = np.zeros((head_classes,))
  for i in range(depth):
    pre = f'Transformer/encoderblock_{i}/'
    att = pre + 'MultiHeadDotProductAttention_1/'
    v[pre + 'LayerNorm_0/scale'] = 1.0 + small(dim)
    v[pre + 'LayerNorm_0/bias'] = small(dim)
    v[pre + 'LayerNorm_2/scale'] = 1.0 + small(dim)
    v[pre + 'LayerNorm_2/bias'] = small(dim)
    for n in ['query', 'key', 'value']:
      v[att + n + '/kernel'] = xavier(rng, (dim, heads, hd), dim, dim) * 1.5
      v[att + n + '/bias'] = small(heads, hd)
    v[att + 'out/kernel'] = xavier(rng, (heads, hd, dim), dim, dim) * 1.5
    v[att + 'out/bias'] = small(dim)
    v[pre + 'MlpBlock_3/Dense_0/kernel'] = xavier(rng, (dim, mlp), dim, mlp) * 1.5
    v[pre + 'MlpBlock_3/Dense_0/bias'] = small(mlp)
    v[pre + 'MlpBlock_3/Dense_1/kernel'] = xavier(rng, (mlp, dim), mlp, dim) * 1.5
    v[pre + 'MlpBlock_3/Dense_1/bias'] = small(dim)
  return {k: a.astype(np.float32) for k, a in v.items()}


CASES = {
    'b': dict(img=16, patch=4, dim=32, heads=4, mlp=64, depth=1, pool=5, length=2, top_k=3,
              batchwise=False, batch=4, classes=7, class_mask=[1, 4, 6], pull=0.5, lr=0.001,
              clip=100.0, prompt_init='uniform01', head_classes=11),
    'c': dict(img=24, patch=8, dim=24, heads=2, mlp=48, depth=3, pool=8, length=4, top_k=2,
              batchwise=True, batch=6, classes=12, class_mask=[3, 4, 5, 6, 7, 8], pull=1.0, lr=0.01,
              clip=0.05, prompt_init='uniform', head_classes=9),
    'd': dict(img=16, patch=8, dim=16, heads=1, mlp=32, depth=2, pool=3, length=1, top_k=1,
              batchwise=False, batch=3, classes=5, class_mask=[0, 1, 2, 3, 4], pull=0.1, lr=0.05,
              clip=1.0, prompt_init='uniform', head_classes=6),
    'g': dict(img=16, patch=8, dim=16, heads=2, mlp=32, depth=2, pool=6, length=2, top_k=2,
              batchwise=True, batch=9, devices=3, classes=6, class_mask=[0, 1, 2, 3, 4, 5], pull=1.0, lr=0.01,
              clip=1.0, clip_scope='all', prompt_init='uniform', head_classes=4),
}

SEMANTICS = ("official JAX HEAD: [prompts, cls, patches], prompts without position embedding, "
             "classifier='prompt' (mean of the N*Lp prompt outputs after encoder_norm), tanh GELU, "
             "LayerNorm eps 1e-6, loss = CE(logits with classes outside class_mask at -inf) - pull * "
             "reduce_sim; grad clip by global norm over the trainable tensors; one Adam step (b1 .9, "
             "b2 .999, eps 1e-8) from zero moments with learning rate lr")


DEVICES = ("; devices: the official pmap step, the batch in `devices` equal consecutive slices, each device "
           "its own batch-wise vote, mean CE, reduce_sim and loss; gradients averaged over devices before the "
           "global norm (the averaged frozen gradients included under clip_scope all), the clip and Adam")


def build_inputs(name, seed):
  s = CASES[name]
  rng = np.random.default_rng(seed)
  vit = random_vit(rng, s['img'], s['patch'], s['dim'], s['heads'], s['mlp'], s['depth'],
                   s['head_classes'])
  if s['prompt_init'] == 'uniform01':  # flax nn.initializers.uniform() default, as the official init
    prompt = rng.uniform(0.0, 0.01, size=(1, s['pool'], s['length'], s['dim']))
  else:
    prompt = rng.uniform(-1.0, 1.0, size=(1, s['pool'], s['length'], s['dim']))
  l2p = {
      'prompt_pool/prompt': prompt.astype(np.float32),
      'prompt_pool/key': rng.normal(0, 0.3, size=(s['pool'], s['dim'])).astype(np.float32),
      'head/kernel': rng.normal(0, 0.3, size=(s['dim'], s['classes'])).astype(np.float32),
      'head/bias': rng.normal(0, 0.1, size=(s['classes'],)).astype(np.float32),
  }
  images = rng.uniform(0.0, 1.0, size=(s['batch'], s['img'], s['img'], 3)).astype(np.float32)
  cm = np.asarray(s['class_mask'], np.int32)
  labels = cm[rng.integers(0, len(cm), size=s['batch'])].astype(np.int32)
  batch = {'images': images, 'labels': labels, 'class_mask': cm}
  cfg = {k: s[k] for k in ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'pool', 'length', 'top_k',
                           'batchwise', 'batch', 'devices', 'classes', 'class_mask', 'pull', 'lr', 'clip',
                           'clip_scope'] if k in s}
  cfg['seed'] = seed
  return cfg, vit, l2p, batch


def acceptable(name, cfg, out, info):
  """Seed search criteria per case."""
  g = np.concatenate([np.abs(out['grad/' + n]).ravel() for n in TRAINABLE])
  nz = g[g != 0]
  # avoid near-zero gradient entries: Adam's g/(|g|+eps) would be ill-conditioned there
  if nz.min() < 1e-6 * nz.max():
    return False
  if not np.isfinite(out['loss']):
    return False
  # the selection must be robust to float32 rounding: every gap among the top_k + 1 largest
  # similarities of each example (which fixes both the set and the concatenation order) >= 1e-3
  ssrt = -np.sort(-out['sim'], axis=1)[:, :cfg['top_k'] + 1]
  if np.min(ssrt[:, :-1] - ssrt[:, 1:]) < 1e-3:
    return False
  clipping = out['clip_factor'] < 1.0
  if name == 'b':
    return not clipping and len({frozenset(r) for r in out['prompt_idx'].tolist()}) > 1
  if name == 'c':
    c = np.asarray(info['vote_counts'])
    srt = np.sort(c)[::-1]
    k = cfg['top_k']
    major = out['prompt_idx'][0]
    # tie at the k-th place (k-th and (k+1)-th counts equal, so the lower id wins) and the
    # most frequent id is larger than the second (order by count differs from order by id)
    return clipping and srt[k - 1] == srt[k] and srt[0] > srt[1] and major[0] > major[1]
  if name == 'd':
    return len(set(out['prompt_idx'][:, 0].tolist())) > 1
  if name == 'g':
    # three devices, three different votes; one of them breaks a tie at the top_k-th count (lower id wins)
    k = cfg['top_k']
    votes = {tuple(v[0]) for v in np.split(out['prompt_idx'], cfg['devices'])}
    ties = [np.sort(c)[::-1][k - 1] == np.sort(c)[::-1][k] for c in info['vote_counts']]
    trained = np.sqrt(sum((out['grad/' + n] ** 2).sum() for n in TRAINABLE))
    return len(votes) == cfg['devices'] and any(ties) and clipping and out['grad_norm'] > 1.01 * trained
  return True


def generate(name, outroot, start_seed=0):
  for seed in range(start_seed, start_seed + 5000):
    cfg, vit, l2p, batch = build_inputs(name, seed)
    # compute from the float32-stored inputs, exactly as a consumer of the files will
    vit32 = {k: v.astype(np.float32) for k, v in vit.items()}
    out, info = l2p_step(cfg, vit32, l2p, batch)
    if acceptable(name, cfg, out, info):
      break
  else:
    raise SystemExit(f'no acceptable seed for {name}')
  notes = []
  notes.append(f"clipping {'active' if out['clip_factor'] < 1 else 'not active'} "
               f"(grad_norm {float(out['grad_norm']):.6g}, clip {cfg['clip']})")
  notes.append(f"per-example top-k ids: {info['per_example_topk']}")
  if cfg['batchwise'] and cfg.get('devices', 1) > 1:
    notes.append(f"{cfg['devices']} devices, each voting on its slice: vote counts per id {info['vote_counts']}; "
                 f"selected ids per device (ties to the lower id): "
                 f"{[v[0].tolist() for v in np.split(out['prompt_idx'], cfg['devices'])]}")
  elif cfg['batchwise']:
    notes.append(f"batch-wise vote counts per id: {info['vote_counts']}; the top_k-th and "
                 f"(top_k+1)-th largest counts tie, resolved to the lower id; selected ids in count "
                 f"order: {out['prompt_idx'][0].tolist()}")
  notes.append("vit.npz head/* has a different class count than the L2P head and is ignored")
  notes.append("generated by scripts/golden/make_case.py (independent float64 NumPy implementation)")
  semantics = SEMANTICS
  if cfg.get('clip_scope') == 'all':
    semantics = semantics.replace('over the trainable tensors', 'over every gradient of the prompted model (frozen '
                                  "backbone included; the query's original ViT has none); only the trainable tensors update")
  cfg['semantics'] = semantics + (DEVICES if cfg.get('devices', 1) > 1 else '')
  cfg['notes'] = '; '.join(notes)
  d = os.path.join(outroot, name)
  os.makedirs(d, exist_ok=True)
  with open(os.path.join(d, 'case.json'), 'w') as f:
    json.dump(cfg, f, indent=1)
  save_npz(os.path.join(d, 'vit.npz'), vit32)
  save_npz(os.path.join(d, 'l2p.npz'), l2p)
  save_npz(os.path.join(d, 'batch.npz'), batch)
  exp = {k: (v.astype(np.int32) if k == 'prompt_idx' else np.asarray(v, np.float32))
         for k, v in out.items()}
  save_npz(os.path.join(d, 'expected.npz'), exp)
  print(f'case {name}: seed {cfg["seed"]}; {cfg["notes"]}')
  print(f'  loss {float(out["loss"]):.6f} ce {float(out["ce"]):.6f} reduce_sim {float(out["reduce_sim"]):.6f}'
        f' clip_factor {float(out["clip_factor"]):.6f}')
  return d


def fdcheck(dirname, n_per=3, h=1e-6, seed=0):
  cfg, vit, l2p, batch = load_case(dirname)
  out, _ = l2p_step(cfg, vit, l2p, batch)
  idx = out['prompt_idx']
  return fd_compare(TRAINABLE, out, l2p, lambda p: loss_only(cfg, vit, p, batch, idx),
                    np.random.default_rng(seed), per=n_per, h=h, with_zero=True)


def main(argv):
  cmd = argv[1]
  if cmd == 'verify':
    cfg, vit, l2p, batch = load_case(argv[2])
    out, info = l2p_step(cfg, vit, l2p, batch)
    print(f'verify {argv[2]}: per-example top-k {info["per_example_topk"]}, vote {info["vote_counts"]}')
    worst = compare(out, argv[2])
    print(f'  worst (abs, relative above 1): {worst:.3e}')
    return 0 if worst < 2e-6 else 1
  if cmd == 'fdcheck':
    return 0 if fdcheck(argv[2]) < 1e-5 else 1
  if cmd == 'f32drift':
    cfg, vit, l2p, batch = load_case(argv[2])
    out64, _ = l2p_step(cfg, vit, l2p, batch, np.float64)
    out32, _ = l2p_step(cfg, vit, l2p, batch, np.float32)
    for k in out64:
      a, b = np.asarray(out64[k], np.float64), np.asarray(out32[k], np.float64)
      print(f'  {k:32s} f32-f64 max|diff| {np.max(np.abs(a - b)):.3e}'
            f' rel>1 {np.max(np.abs(a - b) / np.maximum(1, np.abs(a))):.3e}')
    return 0
  if cmd == 'generate':
    generate(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 0)
    return 0
  print(__doc__)
  return 2


if __name__ == '__main__':
  sys.exit(main(sys.argv))
