"""Several devices, as the official training step runs under pmap (train_continual.py).

The global batch is split into `devices` equal consecutive slices, one per device.  Each device runs the
method's forward and backward on its slice alone: its own prompt selection (its own batch-wise vote), its
own mean cross-entropy, reduce_sim and loss, and their gradients.  The gradients are averaged over the
devices (jax.lax.pmean) before anything else; the global norm is taken over every averaged gradient (the
frozen backbone's averaged gradients too under clip_scope 'all'), then the clip, then one bias-corrected
Adam step (b1 .9, b2 .999, eps 1e-8) from zero moments.  Outputs: per-example arrays are the devices' rows
in batch order, scalars the means over devices, grad/* the averaged gradients before the clip.

A method's device step is device_fn(sub_batch) -> (out, grads, frozen, info): out holds its per-example
arrays and scalars, grads the trainable tensors' gradients by name, frozen a list of the frozen gradients
that enter the norm (in one fixed order; empty when the norm covers the trainable tensors alone).
"""
import numpy as np


def split(batch, devices):
  b = len(batch['labels'])
  if b % devices:
    raise SystemExit(f'devices {devices} does not divide the batch of {b}')
  per = b // devices
  return [{'images': batch['images'][d * per:(d + 1) * per], 'labels': batch['labels'][d * per:(d + 1) * per],
           'class_mask': batch['class_mask']} for d in range(devices)]


def adam_from_zero(p, g, lr, b1=0.9, b2=0.999, eps=1e-8):
  m, v = (1 - b1) * g, (1 - b2) * g * g
  return p - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)


def pmap_step(cfg, batch, params, names, device_fn, rows, means, clip=True):
  """One step over cfg['devices'] (1 when absent) devices; returns the expected.npz arrays and the devices' infos."""
  devices = cfg.get('devices', 1)
  parts = [device_fn(sub) for sub in split(batch, devices)]
  out = {}
  for k in rows:
    out[k] = np.concatenate([p[0][k] for p in parts], axis=0)
  for k in means:
    out[k] = np.asarray(np.mean([float(p[0][k]) for p in parts]))
  grads = {n: sum(p[1][n] for p in parts) / devices for n in names}
  frozen = [sum(fs) / devices for fs in zip(*[p[2] for p in parts])]
  norm = np.sqrt(sum((g * g).sum() for g in grads.values()) + sum((f * f).sum() for f in frozen))
  factor = min(1.0, cfg['clip'] / (norm + 1e-6)) if clip and cfg.get('clip') is not None else 1.0
  if clip:
    out['grad_norm'] = np.asarray(norm)
    out['clip_factor'] = np.asarray(factor)
  for n in names:
    out['grad/' + n] = grads[n]
    out['updated/' + n] = adam_from_zero(np.asarray(params[n], np.float64), grads[n] * factor, cfg['lr'])
  return out, [p[3] for p in parts]
