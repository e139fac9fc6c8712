"""The independent NumPy reference of one L2P training step (official JAX HEAD semantics),
used by make_case.py.  Written from the official google-research/l2p code and the golden README,
without looking at the project's TypeScript sources.

Semantics (official JAX HEAD, prompt pool at layer 0, prompt keys, embedding_key='cls'):
  * ViT: conv patch embedding (HWIO kernel, stride = patch, VALID), row-major patch order, cls token
    prepended, + pos_embedding; the N*Lp selected prompts are prepended AFTER the position embedding
    (they get none): tokens = [prompts, cls, patches].  Pre-LN blocks: LayerNorm_0 -> MHA (q/k/v kernels
    [D, H, hd], biases [H, hd], out kernel [H, hd, D], softmax(q.k / sqrt(hd))) -> residual ->
    LayerNorm_2 -> MlpBlock_3 (Dense_0, tanh-approx GELU, Dense_1) -> residual; LayerNorm eps 1e-6
    with biased variance; final Transformer/encoder_norm.
  * Query = un-prompted ViT encoder_norm output at the cls token (pre_logits); frozen (no gradient).
  * l2 normalise: x * rsqrt(max(sum x^2, 1e-12)); sim = q^ . k^T [B, M]; top-k per example
    (descending, ties to the lower index); batch-wise: count ids over the batch, the top_k most frequent
    (ties to the lower id), ordered by count, same for every example.
  * classifier 'prompt': mean of the N*Lp prompt outputs after encoder_norm; logits = f @ W + b.
  * loss = mean CE (logits of classes outside class_mask at -inf) - pull * reduce_sim,
    reduce_sim = sum_{b, j} k^_{idx[b,j]} . q^_b / B.
  * grads of prompt, key, head/kernel, head/bias; grad_norm = global L2 norm over them, and with
    clip_scope 'all' also over the prompted model's frozen backbone (embedding, cls, position
    embedding, every block, encoder_norm; never the query's); clip_factor =
    min(1, clip / (grad_norm + 1e-6)); one bias-corrected Adam step from zero moments.
  * "devices": N: the official pmap step, each device on its slice of the batch (devices.py).
"""

import numpy as np

from devices import pmap_step

LN_EPS = 1e-6
L2_EPS = 1e-12
TRAINABLE = ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias']
GELU_C = np.sqrt(2.0 / np.pi)


# ----------------------------------------------------------------------------- building blocks

def layernorm_fwd(x, scale, bias):
  mu = x.mean(-1, keepdims=True)
  xc = x - mu
  var = (xc * xc).mean(-1, keepdims=True)
  rstd = 1.0 / np.sqrt(var + LN_EPS)
  xhat = xc * rstd
  return xhat * scale + bias, (xhat, rstd, scale)


def layernorm_bwd(dy, cache):
  xhat, rstd, scale = cache
  dxhat = dy * scale
  return rstd * (dxhat - dxhat.mean(-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(-1, keepdims=True))


def gelu_fwd(u):
  t = np.tanh(GELU_C * (u + 0.044715 * u ** 3))
  return 0.5 * u * (1.0 + t), (u, t)


def gelu_bwd(dg, cache):
  u, t = cache
  du = 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_C * (1.0 + 3 * 0.044715 * u * u)
  return dg * du


def softmax(z, axis=-1):
  z = z - z.max(axis, keepdims=True)
  e = np.exp(z)
  return e / e.sum(axis, keepdims=True)


def masked_ce(logits, labels, class_mask):
  """Mean cross-entropy over the classes in class_mask (the others at -inf), and its gradient
  with respect to the logits."""
  b, ncls = logits.shape
  allowed = np.zeros(ncls, bool)
  allowed[np.asarray(class_mask)] = True
  ml = np.where(allowed, logits, -np.inf)
  mx = ml.max(1, keepdims=True)
  lse = mx[:, 0] + np.log(np.exp(ml - mx).sum(1))
  ce = (lse - ml[np.arange(b), labels]).mean()
  probs = np.where(allowed, np.exp(ml - lse[:, None]), 0.0)
  onehot = np.zeros_like(probs)
  onehot[np.arange(b), labels] = 1.0
  return ce, (probs - onehot) / b


def fd_compare(names, grads, params, loss_of, rng, per=3, h=1e-6, with_zero=False):
  """Central differences of loss_of(params) at `per` random entries of each named tensor where its
  analytic gradient is non-zero (and one where it is zero, with_zero), printed beside the analytic
  value. Returns the worst |fd - analytic| / max(1e-3, |fd|)."""
  worst = 0.0
  for n in names:
    g = grads['grad/' + n]
    nz = np.flatnonzero(g)
    picks = list(rng.choice(nz, size=min(per, len(nz)), replace=False))
    zero = np.flatnonzero(g == 0)
    if with_zero and len(zero):
      picks.append(int(rng.choice(zero)))
    for fi in picks:
      mi = tuple(int(t) for t in np.unravel_index(fi, g.shape))
      vals = []
      for sgn in (1, -1):
        p2 = {k: np.asarray(v, np.float64).copy() for k, v in params.items()}
        p2[n][mi] += sgn * h
        vals.append(float(loss_of(p2)))
      fd = (vals[0] - vals[1]) / (2 * h)
      err = abs(fd - g[mi])
      worst = max(worst, err / max(1e-3, abs(fd)))
      print(f'  {n:20s} {str(mi):22s} analytic {g[mi]: .10e} fd {fd: .10e} |diff| {err:.2e}')
  print(f'  worst relative fd error {worst:.2e}')
  return worst


def block_fwd(x0, p, heads, pk=None, pv=None):
  """One pre-LN encoder block. p: dict of this block's weights (short names).

  pk, pv: optional prefix keys / values [B, P, H, hd] (DualPrompt prefix-tuning), concatenated in
  front of the projected keys / values on the length axis (no projection, no bias)."""
  h, c_ln0 = layernorm_fwd(x0, p['ln0_s'], p['ln0_b'])
  q = np.einsum('btd,dhk->bthk', h, p['wq']) + p['bq']
  k = np.einsum('btd,dhk->bthk', h, p['wk']) + p['bk']
  v = np.einsum('btd,dhk->bthk', h, p['wv']) + p['bv']
  npre = 0
  if pk is not None:
    npre = pk.shape[1]
    k = np.concatenate([pk, k], axis=1)
    v = np.concatenate([pv, v], axis=1)
  hd = q.shape[-1]
  scale = 1.0 / np.sqrt(hd)
  s = np.einsum('bqhk,bshk->bhqs', q * scale, k)
  a = softmax(s, -1)
  o = np.einsum('bhqs,bshk->bqhk', a, v)
  attn = np.einsum('bqhk,hkd->bqd', o, p['wo']) + p['bo']
  x1 = x0 + attn
  h2, c_ln2 = layernorm_fwd(x1, p['ln2_s'], p['ln2_b'])
  u = h2 @ p['w1'] + p['b1']
  g, c_gelu = gelu_fwd(u)
  m = g @ p['w2'] + p['b2']
  x2 = x1 + m
  cache = (c_ln0, h, q, k, v, a, scale, c_ln2, c_gelu, g, npre)
  return x2, cache


def block_bwd(dx2, cache, p, with_prefix=False, wgrads=None):
  """Gradient w.r.t. the block input; with_prefix: also (dpk, dpv).

  wgrads: a dict to receive the gradients of the block's own weights (short names), for a gradient
  norm over the frozen backbone (clip_scope 'all')."""
  c_ln0, h, q, k, v, a, scale, c_ln2, c_gelu, g, npre = cache
  if wgrads is not None:
    xhat2 = c_ln2[0]
    h2 = xhat2 * p['ln2_s'] + p['ln2_b']
    du_ = gelu_bwd(dx2 @ p['w2'].T, c_gelu)
    dh2_ = du_ @ p['w1'].T
    wgrads['w2'] = np.einsum('btm,btd->md', g, dx2)
    wgrads['b2'] = dx2.sum((0, 1))
    wgrads['w1'] = np.einsum('btd,btm->dm', h2, du_)
    wgrads['b1'] = du_.sum((0, 1))
    wgrads['ln2_s'] = (dh2_ * xhat2).sum((0, 1))
    wgrads['ln2_b'] = dh2_.sum((0, 1))
  dx1 = dx2.copy()
  dm = dx2
  dg = dm @ p['w2'].T
  du = gelu_bwd(dg, c_gelu)
  dh2 = du @ p['w1'].T
  dx1 += layernorm_bwd(dh2, c_ln2)
  dattn = dx1
  dx0 = dx1.copy()
  do = np.einsum('bqd,hkd->bqhk', dattn, p['wo'])
  da = np.einsum('bqhk,bshk->bhqs', do, v)
  dv = np.einsum('bhqs,bqhk->bshk', a, do)
  ds = a * (da - (da * a).sum(-1, keepdims=True))
  dq = np.einsum('bhqs,bshk->bqhk', ds, k) * scale
  dk = np.einsum('bhqs,bqhk->bshk', ds, q * scale)
  dpk, dpv = dk[:, :npre], dv[:, :npre]
  dk, dv = dk[:, npre:], dv[:, npre:]
  dh = (np.einsum('bthk,dhk->btd', dq, p['wq']) + np.einsum('bthk,dhk->btd', dk, p['wk'])
        + np.einsum('bthk,dhk->btd', dv, p['wv']))
  dx0 += layernorm_bwd(dh, c_ln0)
  if wgrads is not None:
    o = np.einsum('bhqs,bshk->bqhk', a, v)
    wgrads['wo'] = np.einsum('bqhk,bqd->hkd', o, dattn)
    wgrads['bo'] = dattn.sum((0, 1))
    for n, dy in (('q', dq), ('k', dk), ('v', dv)):
      wgrads['w' + n] = np.einsum('btd,bthk->dhk', h, dy)
      wgrads['b' + n] = dy.sum((0, 1))
    xhat0 = c_ln0[0]
    wgrads['ln0_s'] = (dh * xhat0).sum((0, 1))
    wgrads['ln0_b'] = dh.sum((0, 1))
  if with_prefix:
    return dx0, dpk, dpv
  return dx0


def block_params(vit, i, dt):
  pre = f'Transformer/encoderblock_{i}/'
  att = pre + 'MultiHeadDotProductAttention_1/'
  g = lambda n: np.asarray(vit[n], dtype=dt)
  return dict(
      ln0_s=g(pre + 'LayerNorm_0/scale'), ln0_b=g(pre + 'LayerNorm_0/bias'),
      wq=g(att + 'query/kernel'), bq=g(att + 'query/bias'),
      wk=g(att + 'key/kernel'), bk=g(att + 'key/bias'),
      wv=g(att + 'value/kernel'), bv=g(att + 'value/bias'),
      wo=g(att + 'out/kernel'), bo=g(att + 'out/bias'),
      ln2_s=g(pre + 'LayerNorm_2/scale'), ln2_b=g(pre + 'LayerNorm_2/bias'),
      w1=g(pre + 'MlpBlock_3/Dense_0/kernel'), b1=g(pre + 'MlpBlock_3/Dense_0/bias'),
      w2=g(pre + 'MlpBlock_3/Dense_1/kernel'), b2=g(pre + 'MlpBlock_3/Dense_1/bias'))


def embed(images, vit, patch, dt):
  """Conv patch embedding + cls + position embedding -> [B, 1 + Np, D]."""
  x = np.asarray(images, dtype=dt)
  b, hh, ww, c = x.shape
  gh, gw = hh // patch, ww // patch
  x = x[:, :gh * patch, :gw * patch, :].reshape(b, gh, patch, gw, patch, c).transpose(0, 1, 3, 2, 4, 5)
  kern = np.asarray(vit['embedding/kernel'], dtype=dt)  # [p, p, c, D] HWIO
  tok = np.einsum('bijxyc,xycd->bijd', x, kern) + np.asarray(vit['embedding/bias'], dtype=dt)
  d = tok.shape[-1]
  tok = tok.reshape(b, gh * gw, d)
  cls = np.broadcast_to(np.asarray(vit['cls'], dtype=dt).reshape(1, 1, d), (b, 1, d))
  tok = np.concatenate([cls, tok], axis=1)
  return tok + np.asarray(vit['Transformer/posembed_input/pos_embedding'], dtype=dt)


def encoder_fwd(x, blocks, heads, vit, dt):
  caches = []
  for p in blocks:
    x, c = block_fwd(x, p, heads)
    caches.append(c)
  y, c_norm = layernorm_fwd(x, np.asarray(vit['Transformer/encoder_norm/scale'], dtype=dt),
                            np.asarray(vit['Transformer/encoder_norm/bias'], dtype=dt))
  return y, (caches, c_norm)


def encoder_bwd(dy, cache, blocks, wgrads=None):
  """Gradient w.r.t. the encoder input; wgrads: a list to receive each frozen tensor's gradient
  (the encoder norm's and every block's), for the norm of clip_scope 'all'."""
  caches, c_norm = cache
  dx = layernorm_bwd(dy, c_norm)
  if wgrads is not None:
    wgrads += [(dy * c_norm[0]).sum((0, 1)), dy.sum((0, 1))]
  for p, c in zip(reversed(blocks), reversed(caches)):
    w = {} if wgrads is not None else None
    dx = block_bwd(dx, c, p, wgrads=w)
    if w is not None:
      wgrads += list(w.values())
  return dx


def embed_wgrads(dx_emb, images, patch, dt):
  """Gradients of the patch embedding (kernel, bias), cls token and position embedding, given the
  gradient w.r.t. embed()'s output [B, 1 + Np, D]."""
  x = np.asarray(images, dtype=dt)
  b, hh, ww, c = x.shape
  gh, gw = hh // patch, ww // patch
  x = x[:, :gh * patch, :gw * patch, :].reshape(b, gh, patch, gw, patch, c).transpose(0, 1, 3, 2, 4, 5)
  dtok = dx_emb[:, 1:].reshape(b, gh, gw, -1)
  return [np.einsum('bijxyc,bijd->xycd', x, dtok), dtok.sum((0, 1, 2)), dx_emb[:, 0].sum(0), dx_emb.sum(0)]


def l2_normalize(x):
  s = (x * x).sum(-1, keepdims=True)
  r = 1.0 / np.sqrt(np.maximum(s, L2_EPS))
  return x * r, (x, s, r)


def l2_normalize_bwd(dy, cache):
  x, s, r = cache
  active = (s > L2_EPS).astype(x.dtype)  # d max(s, eps)/ds = 0 when clamped
  return r * dy - active * r ** 3 * (x * dy).sum(-1, keepdims=True) * x


def select_prompts(sim, top_k, batchwise):
  order = np.argsort(-sim, axis=1, kind='stable')  # descending, ties to the lower index
  idx = order[:, :top_k]
  counts = None
  if batchwise:
    m = sim.shape[1]
    counts = np.bincount(idx.ravel(), minlength=m)
    major = np.argsort(-counts, kind='stable')[:top_k]  # by count, ties to the lower id
    idx = np.broadcast_to(major, (sim.shape[0], top_k)).copy()
  return idx, counts


# ----------------------------------------------------------------------------- the step

def l2p_device(cfg, vit, l2p, batch, dt=np.float64):
  """One device's forward and backward on its slice: (out, grads, frozen, info) as devices.py takes them."""
  heads, depth = cfg['heads'], cfg['depth']
  top_k, lp = cfg['top_k'], cfg['length']
  blocks = [block_params(vit, i, dt) for i in range(depth)]
  prompt = np.asarray(l2p['prompt_pool/prompt'], dtype=dt)  # [1, M, Lp, D]
  key = np.asarray(l2p['prompt_pool/key'], dtype=dt)  # [M, D]
  wh = np.asarray(l2p['head/kernel'], dtype=dt)
  bh = np.asarray(l2p['head/bias'], dtype=dt)
  labels = np.asarray(batch['labels']).astype(np.int64)
  class_mask = np.asarray(batch['class_mask']).astype(np.int64)
  b = labels.shape[0]

  x_emb = embed(batch['images'], vit, cfg['patch'], dt)  # [B, 1 + Np, D]
  d = x_emb.shape[-1]

  # query: frozen, un-prompted ViT
  enc0, _ = encoder_fwd(x_emb, blocks, heads, vit, dt)
  pre_logits = enc0[:, 0]

  qn, _ = l2_normalize(pre_logits)
  kn, c_kn = l2_normalize(key)
  sim = qn @ kn.T
  idx, counts = select_prompts(sim, top_k, cfg['batchwise'])

  sel = prompt[0][idx].reshape(b, top_k * lp, d)  # [B, N*Lp, D]
  x_in = np.concatenate([sel, x_emb], axis=1)
  enc, c_enc = encoder_fwd(x_in, blocks, heads, vit, dt)
  npl = top_k * lp
  feat = enc[:, :npl].mean(1)
  logits = feat @ wh + bh

  ce, dlogits = masked_ce(logits, labels, class_mask)

  sel_kn = kn[idx]  # [B, N, D]
  reduce_sim = (sel_kn * qn[:, None, :]).sum() / b
  loss = ce - cfg['pull'] * reduce_sim

  # backward
  g_wh = feat.T @ dlogits
  g_bh = dlogits.sum(0)
  dfeat = dlogits @ wh.T
  denc = np.zeros_like(enc)
  denc[:, :npl] = dfeat[:, None, :] / npl
  frozen = [] if cfg.get('clip_scope', 'trained') == 'all' else None
  dx_in = encoder_bwd(denc, c_enc, blocks, frozen)
  if frozen is not None:  # the prompted model's backbone; the query's original ViT never enters
    frozen += embed_wgrads(dx_in[:, npl:], batch['images'], cfg['patch'], dt)
  dsel = dx_in[:, :npl].reshape(b, top_k, lp, d)
  g_prompt = np.zeros_like(prompt)
  np.add.at(g_prompt[0], idx, dsel)

  dkn = np.zeros_like(kn)
  np.add.at(dkn, idx, np.broadcast_to(-cfg['pull'] / b * qn[:, None, :], sel_kn.shape))
  g_key = l2_normalize_bwd(dkn, c_kn)

  grads = {'prompt_pool/prompt': g_prompt, 'prompt_pool/key': g_key,
           'head/kernel': g_wh, 'head/bias': g_bh}
  out = {'pre_logits': pre_logits, 'sim': sim, 'prompt_idx': idx.astype(np.int32), 'logits': logits,
         'ce': np.asarray(ce), 'reduce_sim': np.asarray(reduce_sim), 'loss': np.asarray(loss)}
  info = {'vote_counts': None if counts is None else counts.tolist(),
          'per_example_topk': np.argsort(-sim, axis=1, kind='stable')[:, :top_k].tolist()}
  return out, grads, frozen or [], info


def l2p_step(cfg, vit, l2p, batch, dt=np.float64):
  """The step over cfg['devices'] devices (devices.py): every array of expected.npz, and the selection's info."""
  params = {n: np.asarray(l2p[n], dt) for n in TRAINABLE}
  out, infos = pmap_step(cfg, batch, params, TRAINABLE, lambda sub: l2p_device(cfg, vit, l2p, sub, dt),
                         ['pre_logits', 'sim', 'prompt_idx', 'logits'], ['ce', 'reduce_sim', 'loss'])
  info = {'vote_counts': infos[0]['vote_counts'] if len(infos) == 1 else [i['vote_counts'] for i in infos],
          'per_example_topk': sum((i['per_example_topk'] for i in infos), [])}
  return out, info


def loss_only(cfg, vit, l2p, batch, fixed_idx):
  """Loss with a fixed prompt selection (selection is piecewise constant), for finite differences."""
  dt = np.float64
  blocks = [block_params(vit, i, dt) for i in range(cfg['depth'])]
  prompt = np.asarray(l2p['prompt_pool/prompt'], dt)
  key = np.asarray(l2p['prompt_pool/key'], dt)
  wh = np.asarray(l2p['head/kernel'], dt)
  bh = np.asarray(l2p['head/bias'], dt)
  labels = np.asarray(batch['labels']).astype(np.int64)
  b = labels.shape[0]
  x_emb = embed(batch['images'], vit, cfg['patch'], dt)
  d = x_emb.shape[-1]
  enc0, _ = encoder_fwd(x_emb, blocks, cfg['heads'], vit, dt)
  qn, _ = l2_normalize(enc0[:, 0])
  kn, _ = l2_normalize(key)
  npl = cfg['top_k'] * cfg['length']
  sel = prompt[0][fixed_idx].reshape(b, npl, d)
  enc, _ = encoder_fwd(np.concatenate([sel, x_emb], 1), blocks, cfg['heads'], vit, dt)
  logits = enc[:, :npl].mean(1) @ wh + bh
  ce, _ = masked_ce(logits, labels, batch['class_mask'])
  rs = (kn[fixed_idx] * qn[:, None, :]).sum() / b
  return ce - cfg['pull'] * rs


