#!/usr/bin/env python3
"""Reference for HiDe-Prompt's host-side pieces, following the official code (thu-ml/HiDe-Prompt)
function by function; each piece cites the file:function it mirrors. timm and scikit-learn are not
needed: the few functions used from them are written out here (sklearn 1.0.2's KMeans pieces in NumPy).

Reads one JSON request on stdin ({"op": ..., ...}), or a list of them, and writes the answer(s) on stdout. Randomness
is fed (noise, permutations, uniforms), never drawn, so results compare exactly.
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.distributions.multivariate_normal import MultivariateNormal


def arr(x, shape=None, dtype=np.float64):
    a = np.asarray(x, dtype=dtype)
    return a.reshape(shape) if shape is not None else a


def moments(req):
    # engines/hide_promtp_wtp_and_tap_engine.py:_compute_mean, 'covariance' and 'variance' branches,
    # on one class's gathered features (float64 here; the official runs float32 on the GPU).
    d = req['dim']
    x = arr(req['features'], (-1, d))
    y = np.asarray(req['labels'])
    out = {}
    for c in sorted(set(y.tolist())):
        f = torch.tensor(x[y == c])
        mean = f.mean(dim=0)
        cov = torch.cov(f.T) + torch.eye(d, dtype=torch.float64) * 1e-4
        if req['kind'] == 'variance':
            cov = torch.diag(cov)
        out[str(c)] = {'mean': mean.tolist(), 'cov': cov.reshape(-1).tolist()}
    return out


def tolerance(x, tol):
    # sklearn/cluster/_kmeans.py:_tolerance
    return np.mean(np.var(x, axis=0)) * tol


def kmeans_plusplus(req):
    # sklearn/cluster/_kmeans.py:_kmeans_plusplus, with random_state's draws fed as uniforms:
    # randint(n) -> floor(u * n), random_sample(t) -> the next t uniforms.
    d, k = req['dim'], req['k']
    x = arr(req['features'], (-1, d))
    n = x.shape[0]
    u = iter(req['uniforms'])
    centers = np.empty((k, d))
    n_local_trials = 2 + int(np.log(k))
    centers[0] = x[min(n - 1, int(next(u) * n))]
    closest = ((x - centers[0]) ** 2).sum(axis=1)
    pot = closest.sum()
    for c in range(1, k):
        rand_vals = np.array([next(u) for _ in range(n_local_trials)]) * pot
        ids = np.searchsorted(np.cumsum(closest), rand_vals)
        np.clip(ids, None, n - 1, out=ids)
        dist = ((x[ids][:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
        np.minimum(closest, dist, out=dist)
        pots = dist.sum(axis=1)
        best = np.argmin(pots)
        pot = pots[best]
        closest = dist[best]
        centers[c] = x[ids[best]]
    return {'centers': centers.reshape(-1).tolist()}


def assign(x, centers):
    dist = ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    labels = np.argmin(dist, axis=1)
    return labels, dist[np.arange(len(x)), labels]


def lloyd(req):
    # sklearn/cluster/_kmeans.py:_kmeans_single_lloyd (one Lloyd step = assign, then means; an empty
    # cluster takes the farthest point, as _k_means_common._relocate_empty_clusters_dense).
    d, k = req['dim'], req['k']
    x = arr(req['features'], (-1, d))
    centers = arr(req['init'], (k, d)).copy()
    tol = tolerance(x, req.get('tol', 1e-4))
    labels_old = np.full(len(x), -1)
    strict = False
    for i in range(req.get('max_iter', 300)):
        labels, dist = assign(x, centers)
        sums = np.zeros((k, d))
        counts = np.zeros(k)
        for p, c in enumerate(labels):
            sums[c] += x[p]
            counts[c] += 1
        empty = np.where(counts == 0)[0]
        if len(empty):
            far = sorted(range(len(x)), key=lambda p: (-dist[p], p))[:len(empty)]
            for c, p in zip(empty, far):
                counts[labels[p]] -= 1
                sums[labels[p]] -= x[p]
                counts[c] = 1
                sums[c] = x[p]
        new = sums / counts[:, None]
        shift = ((new - centers) ** 2).sum()
        centers = new
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old[:] = labels
    if not strict:
        labels, _ = assign(x, centers)
    inertia = ((x - centers[labels]) ** 2).sum()
    return {'labels': labels.tolist(), 'centers': centers.reshape(-1).tolist(), 'inertia': float(inertia), 'iterations': i + 1}


def cluster_moments(req):
    # engines/hide_promtp_wtp_and_tap_engine.py:_compute_mean, 'multi-centroid' branch after kmeans.fit
    d, k = req['dim'], req['k']
    x = arr(req['features'], (-1, d))
    lab = np.asarray(req['labels'])
    means, variances = [], []
    for i in range(k):
        data = x[lab == i]
        means.append(np.mean(data, axis=0).tolist())
        variances.append(np.var(data, axis=0).tolist())
    return {'means': means, 'vars': variances}


def alignment(req):
    # engines/hide_promtp_wtp_and_tap_engine.py:train_task_adaptive_prediction, one epoch's data, with
    # MultivariateNormal.sample's standard normal draws replaced by the fed noise (loc + scale_tril @ eps).
    d = req['dim']
    per = req['per_component']
    noise = iter(arr(req['noise'], (-1, per, d)))
    stores = req['stores']
    sampled_data, sampled_label = [], []

    def draw(m):
        eps = torch.tensor(next(noise), dtype=torch.float32)
        return m.loc + (m._unbroadcasted_scale_tril @ eps.T).T

    for i in range(req['task_id'] + 1):
        for c_id in req['class_mask'][i]:
            s = stores[str(c_id)]
            if s['kind'] in ('covariance', 'variance'):
                mean = torch.tensor(s['mean'], dtype=torch.float64)
                cov = torch.tensor(s['cov'], dtype=torch.float64)
                cov = torch.diag(cov) if s['kind'] == 'variance' else cov.reshape(d, d)
                sampled_data.append(draw(MultivariateNormal(mean.float(), cov.float())))
                sampled_label.extend([c_id] * per)
            else:
                for cluster in range(len(s['means'])):
                    mean = torch.tensor(s['means'][cluster], dtype=torch.float64)
                    var = torch.tensor(s['vars'][cluster], dtype=torch.float64)
                    if var.mean() == 0:
                        continue
                    m = MultivariateNormal(mean.float(), (torch.diag(var) + 1e-4 * torch.eye(mean.shape[0])).float())
                    sampled_data.append(draw(m))
                    sampled_label.extend([c_id] * per)
    inputs = torch.cat(sampled_data, dim=0).float()
    targets = torch.tensor(sampled_label).long()
    perm = torch.tensor(req['perm'])
    inputs, targets = inputs[perm], targets[perm]
    crct_num = sum(len(req['class_mask'][i]) for i in range(req['task_id']))
    batches = []
    for it in range(crct_num):
        batches.append({'features': inputs[it * per:(it + 1) * per].reshape(-1).tolist(),
                        'labels': targets[it * per:(it + 1) * per].tolist()})
    return {'batches': batches, 'crct_num': crct_num}


def contrast(req):
    # engines/hide_promtp_wtp_and_tap_engine.py:orth_loss
    d = req['dim']
    features = torch.tensor(arr(req['features'], (-1, d)), requires_grad=True)
    if req.get('prototypes') is not None:
        sample_mean = torch.tensor(arr(req['prototypes'], (-1, d)))
        M = torch.cat([sample_mean, features], dim=0)
    else:
        M = features
    sim = torch.matmul(M, M.t()) / 0.8
    loss = torch.nn.functional.cross_entropy(sim, torch.arange(sim.shape[0]).long()) * req['reg']
    loss.backward()
    return {'loss': loss.item(), 'grad': features.grad.reshape(-1).tolist()}


class MlpMapping(nn.Module):
    # vits/hide_prompt_vision_transformer.py:MlpMapping with hidden=[r], fc_with_norm=False, drop 0
    def __init__(self, dim, r):
        super().__init__()
        self.net = nn.ModuleList([nn.Sequential(nn.Linear(dim, dim * r), nn.GELU(), nn.Dropout(0.0)),
                                  nn.Sequential(nn.Linear(dim * r, dim), nn.Dropout(0.0))])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        out = x
        for layer in self.net:
            out = layer(out)
        out += x
        return self.norm(out)


def head(req):
    # vits/hide_prompt_vision_transformer.py:VisionTransformer.forward(fc_only=True) and the masked loss of
    # engines/hide_tii_engine.py:train_one_epoch / train_task_adaptive_prediction. Kernels arrive [in, out].
    d, c, r = req['dim'], req['num_classes'], req['mlp_ratio']
    p = {k: torch.tensor(arr(v), dtype=torch.float64) for k, v in req['params'].items()}
    mlp = MlpMapping(d, r).double() if r > 0 else nn.Identity()
    fc = nn.Linear(d, c).double()
    with torch.no_grad():
        if r > 0:
            mlp.net[0][0].weight.copy_(p['mlp/fc1/kernel'].reshape(d, d * r).T)
            mlp.net[0][0].bias.copy_(p['mlp/fc1/bias'])
            mlp.net[1][0].weight.copy_(p['mlp/fc2/kernel'].reshape(d * r, d).T)
            mlp.net[1][0].bias.copy_(p['mlp/fc2/bias'])
            mlp.norm.weight.copy_(p['mlp/norm/scale'])
            mlp.norm.bias.copy_(p['mlp/norm/bias'])
        fc.weight.copy_(p['head/kernel'].reshape(d, c).T)
        fc.bias.copy_(p['head/bias'])
    x = torch.tensor(arr(req['features'], (-1, d)))
    logits = fc(mlp(x))
    not_mask = np.setdiff1d(np.arange(c), req['mask'])
    masked = logits.index_fill(dim=1, index=torch.tensor(not_mask, dtype=torch.int64), value=float('-inf'))
    loss = torch.nn.CrossEntropyLoss()(masked, torch.tensor(req['labels']).long())
    loss.backward()
    grads = {'head/kernel': fc.weight.grad.T, 'head/bias': fc.bias.grad}
    if r > 0:
        grads.update({'mlp/fc1/kernel': mlp.net[0][0].weight.grad.T, 'mlp/fc1/bias': mlp.net[0][0].bias.grad,
                      'mlp/fc2/kernel': mlp.net[1][0].weight.grad.T, 'mlp/fc2/bias': mlp.net[1][0].bias.grad,
                      'mlp/norm/scale': mlp.norm.weight.grad, 'mlp/norm/bias': mlp.norm.bias.grad})
    return {'loss': loss.item(), 'logits': logits.reshape(-1).tolist(),
            'grads': {k: v.reshape(-1).tolist() for k, v in grads.items()}}


def sgd(req):
    # The alignment optimiser: optim.SGD(lr=ca_lr, momentum=0.9) whose param group carries the config's
    # weight_decay (0.0 as parsed: '--weight-decay' and '--weight_decay' share one dest, the first
    # default wins), stepped per batch under CosineAnnealingLR(T_max=crct_epochs) stepped per epoch.
    w = nn.Parameter(torch.tensor(req['param'], dtype=torch.float64))
    opt = torch.optim.SGD([{'params': [w], 'lr': req['lr'], 'weight_decay': 0.0}], lr=req['lr'], momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer=opt, T_max=req['epochs'])
    lrs = []
    grads = iter(req['grads'])
    for _ in range(req['epochs']):
        lrs.append(opt.param_groups[0]['lr'])
        for _ in range(req['steps_per_epoch']):
            w.grad = torch.tensor(next(grads), dtype=torch.float64)
            opt.step()
        sched.step()
    return {'lrs': lrs, 'param': w.detach().tolist()}


def momentum(req):
    # engines/hide_promtp_wtp_and_tap_engine.py:train_and_evaluate, the end-of-task prompt momentum
    prompt = torch.tensor(arr(req['prompt'], req['shape']), dtype=torch.float32)
    t, m = req['task'], req['m']
    prompt[:, :, t].copy_((1 - m) * prompt[:, :, t].clone() + m * prompt[:, :, 0:t].clone().mean(dim=2))
    return {'prompt': prompt.reshape(-1).tolist()}


def tii(req):
    # engines/hide_promtp_wtp_and_tap_engine.py:evaluate, prompt_id from the original model's logits
    c = req['num_classes']
    logits = torch.tensor(arr(req['logits'], (-1, c)))
    mask = []
    for i in range(req['task_id'] + 1):
        mask.extend(req['class_mask'][i])
    not_mask = torch.tensor(np.setdiff1d(np.arange(c), mask), dtype=torch.int64)
    logits = logits.index_fill(dim=1, index=not_mask, value=float('-inf'))
    prompt_id = torch.max(logits, dim=1)[1]
    return {'prompt_id': [req['target_task_map'][v.item()] for v in prompt_id]}


OPS = {f.__name__: f for f in (moments, kmeans_plusplus, lloyd, cluster_moments, alignment, contrast, head, sgd, momentum, tii)}

if __name__ == '__main__':
    # A list of requests gets a list of answers: one interpreter start (torch's import is slow) per test file.
    request = json.load(sys.stdin)
    answer = [OPS[q['op']](q) for q in request] if isinstance(request, list) else OPS[request['op']](request)
    json.dump(answer, sys.stdout)
