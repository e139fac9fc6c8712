"""Writes one small random ViT in four layouts and its float64 reference features.

usage: /usr/bin/python3 foreign_ref.py OUT_DIR [--size test|nano]

Files (all float32 weights, the same values in every layout):
  timm.pth          torch.save({'model': {'module.<timm name>': tensor}, 'epoch': 3}) (a nested,
                    DataParallel-prefixed state dict; one qkv weight stored as a transposed view)
  timm.safetensors  timm names, written byte by byte
  hf.safetensors    transformers ViTForImageClassification names ('vit.' prefix, split q/k/v)
  hf.pth            the same, through torch.save
  official.npz      the official JAX layout (ViT-B_16.npz names), converted here independently
  images.npz        'images' [B, H, W, 3] in [0, 1]
  ref_<gelu>.npy    float64 pre_logits of the timm/official weights (LayerNorm eps 1e-6)
  ref_hf_<gelu>.npy the same with transformers' LayerNorm eps 1e-12
for gelu in erf (exact, torch.nn.GELU) and tanh (jax.nn.gelu's default).
"""
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch

OUT = sys.argv[1]
SIZE = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == '--size' else 'test'
# 'test': head width 64, so the default head rule (width / 64) finds 2 heads.
# 'nano': the variants table's ViT-nano_4 (4 heads of 32, from model_name) on 28 px digits, the demo's size.
D, DEPTH, MLP, HEADS, P, SIDE = {'test': (128, 2, 256, 2, 4, 4), 'nano': (128, 6, 256, 4, 4, 7)}[SIZE]
N = SIDE * SIDE
B = 3
rng = np.random.default_rng(22)


def rnd(*shape, scale=1.0, base=0.0):
    return (base + scale * rng.standard_normal(shape)).astype(np.float32)


timm = collections.OrderedDict()
timm['cls_token'] = rnd(1, 1, D, scale=0.5)
timm['pos_embed'] = rnd(1, N + 1, D, scale=0.5)
timm['patch_embed.proj.weight'] = rnd(D, 3, P, P, scale=1 / math.sqrt(3 * P * P))
timm['patch_embed.proj.bias'] = rnd(D, scale=0.1)
for i in range(DEPTH):
    b = f'blocks.{i}.'
    timm[b + 'norm1.weight'] = rnd(D, scale=0.1, base=1.0)
    timm[b + 'norm1.bias'] = rnd(D, scale=0.1)
    timm[b + 'attn.qkv.weight'] = rnd(3 * D, D, scale=1 / math.sqrt(D))
    timm[b + 'attn.qkv.bias'] = rnd(3 * D, scale=0.1)
    timm[b + 'attn.proj.weight'] = rnd(D, D, scale=1 / math.sqrt(D))
    timm[b + 'attn.proj.bias'] = rnd(D, scale=0.1)
    timm[b + 'norm2.weight'] = rnd(D, scale=0.1, base=1.0)
    timm[b + 'norm2.bias'] = rnd(D, scale=0.1)
    timm[b + 'mlp.fc1.weight'] = rnd(MLP, D, scale=1 / math.sqrt(D))
    timm[b + 'mlp.fc1.bias'] = rnd(MLP, scale=0.1)
    timm[b + 'mlp.fc2.weight'] = rnd(D, MLP, scale=1 / math.sqrt(MLP))
    timm[b + 'mlp.fc2.bias'] = rnd(D, scale=0.1)
timm['norm.weight'] = rnd(D, scale=0.1, base=1.0)
timm['norm.bias'] = rnd(D, scale=0.1)
timm['head.weight'] = rnd(10, D, scale=0.1)
timm['head.bias'] = rnd(10, scale=0.1)
images = rng.uniform(0, 1, (B, SIDE * P, SIDE * P, 3)).astype(np.float32)
np.savez(os.path.join(OUT, 'images.npz'), images=images)


def hf_names(t):
    """transformers' ViTForImageClassification names for the timm weights."""
    h = collections.OrderedDict()
    e = 'vit.embeddings.'
    h[e + 'cls_token'] = t['cls_token']
    h[e + 'position_embeddings'] = t['pos_embed']
    h[e + 'patch_embeddings.projection.weight'] = t['patch_embed.proj.weight']
    h[e + 'patch_embeddings.projection.bias'] = t['patch_embed.proj.bias']
    for i in range(DEPTH):
        s, b = f'blocks.{i}.', f'vit.encoder.layer.{i}.'
        for ours, theirs in [('norm1', 'layernorm_before'), ('norm2', 'layernorm_after'), ('attn.proj', 'attention.output.dense'),
                             ('mlp.fc1', 'intermediate.dense'), ('mlp.fc2', 'output.dense')]:
            h[b + theirs + '.weight'] = t[s + ours + '.weight']
            h[b + theirs + '.bias'] = t[s + ours + '.bias']
        for j, n in enumerate(['query', 'key', 'value']):
            h[b + f'attention.attention.{n}.weight'] = t[s + 'attn.qkv.weight'][j * D:(j + 1) * D]
            h[b + f'attention.attention.{n}.bias'] = t[s + 'attn.qkv.bias'][j * D:(j + 1) * D]
    h['vit.layernorm.weight'] = t['norm.weight']
    h['vit.layernorm.bias'] = t['norm.bias']
    h['classifier.weight'] = t['head.weight']
    h['classifier.bias'] = t['head.bias']
    return h


def official_names(t):
    """The official JAX layout: kernels [in, out], attention kernels split by head, HWIO patch kernel."""
    hd = D // HEADS
    o = {
        'cls': t['cls_token'],
        'Transformer/posembed_input/pos_embedding': t['pos_embed'],
        'embedding/kernel': t['patch_embed.proj.weight'].transpose(2, 3, 1, 0),
        'embedding/bias': t['patch_embed.proj.bias'],
        'Transformer/encoder_norm/scale': t['norm.weight'],
        'Transformer/encoder_norm/bias': t['norm.bias'],
        'head/kernel': t['head.weight'].T,
        'head/bias': t['head.bias'],
    }
    for i in range(DEPTH):
        s, b = f'blocks.{i}.', f'Transformer/encoderblock_{i}/'
        a = b + 'MultiHeadDotProductAttention_1/'
        o[b + 'LayerNorm_0/scale'], o[b + 'LayerNorm_0/bias'] = t[s + 'norm1.weight'], t[s + 'norm1.bias']
        o[b + 'LayerNorm_2/scale'], o[b + 'LayerNorm_2/bias'] = t[s + 'norm2.weight'], t[s + 'norm2.bias']
        for j, n in enumerate(['query', 'key', 'value']):
            o[a + n + '/kernel'] = t[s + 'attn.qkv.weight'][j * D:(j + 1) * D].T.reshape(D, HEADS, hd)
            o[a + n + '/bias'] = t[s + 'attn.qkv.bias'][j * D:(j + 1) * D].reshape(HEADS, hd)
        o[a + 'out/kernel'] = t[s + 'attn.proj.weight'].T.reshape(HEADS, hd, D)
        o[a + 'out/bias'] = t[s + 'attn.proj.bias']
        o[b + 'MlpBlock_3/Dense_0/kernel'], o[b + 'MlpBlock_3/Dense_0/bias'] = t[s + 'mlp.fc1.weight'].T, t[s + 'mlp.fc1.bias']
        o[b + 'MlpBlock_3/Dense_1/kernel'], o[b + 'MlpBlock_3/Dense_1/bias'] = t[s + 'mlp.fc2.weight'].T, t[s + 'mlp.fc2.bias']
    return {k: np.ascontiguousarray(v) for k, v in o.items()}


def write_safetensors(path, tensors):
    """The format by hand: u64 little-endian header length, JSON header, raw little-endian data."""
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for k, v in tensors.items():
        raw = np.ascontiguousarray(v, dtype='<f4').tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def torch_state(t, prefix=''):
    sd = collections.OrderedDict((prefix + k, torch.from_numpy(v.copy())) for k, v in t.items())
    return sd


timm_sd = torch_state(timm, 'module.')
# A transposed view: its storage holds W.T row-major, strides (1, D) give W back.
w = timm['blocks.0.attn.proj.weight']
timm_sd['module.blocks.0.attn.proj.weight'] = torch.from_numpy(w.T.copy()).t()
assert not timm_sd['module.blocks.0.attn.proj.weight'].is_contiguous()
torch.save({'model': timm_sd, 'epoch': 3, 'arch': 'vit'}, os.path.join(OUT, 'timm.pth'))
write_safetensors(os.path.join(OUT, 'timm.safetensors'), timm)
hf = hf_names(timm)
write_safetensors(os.path.join(OUT, 'hf.safetensors'), hf)
torch.save(torch_state(hf), os.path.join(OUT, 'hf.pth'))
np.savez(os.path.join(OUT, 'official.npz'), **official_names(timm))

# --- the float64 reference forward pass -------------------------------------------------------
erf = np.vectorize(math.erf)
GELU = {
    'erf': lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    'tanh': lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
}


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def forward(t, gelu, eps):
    t = {k: v.astype(np.float64) for k, v in t.items()}
    x = images.astype(np.float64).reshape(B, SIDE, P, SIDE, P, 3)
    x = np.einsum('bhiwjc,ocij->bhwo', x, t['patch_embed.proj.weight']).reshape(B, N, D) + t['patch_embed.proj.bias']
    x = np.concatenate([np.broadcast_to(t['cls_token'], (B, 1, D)), x], 1) + t['pos_embed']
    hd = D // HEADS
    for i in range(DEPTH):
        s = f'blocks.{i}.'
        y = layer_norm(x, t[s + 'norm1.weight'], t[s + 'norm1.bias'], eps)
        qkv = (y @ t[s + 'attn.qkv.weight'].T + t[s + 'attn.qkv.bias']).reshape(B, N + 1, 3, HEADS, hd)
        q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))  # [B, H, T, hd]
        a = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        o = (a @ v).transpose(0, 2, 1, 3).reshape(B, N + 1, D)
        x = x + o @ t[s + 'attn.proj.weight'].T + t[s + 'attn.proj.bias']
        y = layer_norm(x, t[s + 'norm2.weight'], t[s + 'norm2.bias'], eps)
        hidden = GELU[gelu](y @ t[s + 'mlp.fc1.weight'].T + t[s + 'mlp.fc1.bias'])
        x = x + hidden @ t[s + 'mlp.fc2.weight'].T + t[s + 'mlp.fc2.bias']
    return layer_norm(x, t['norm.weight'], t['norm.bias'], eps)[:, 0]


for gelu in GELU:
    np.save(os.path.join(OUT, f'ref_{gelu}.npy'), forward(timm, gelu, 1e-6))
    np.save(os.path.join(OUT, f'ref_hf_{gelu}.npy'), forward(timm, gelu, 1e-12))
