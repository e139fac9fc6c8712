"""VPT's forward (LAMDA-PILOT backbone/vpt.py VPT_ViT.forward_features) in float64 NumPy.

Reads JSON on stdin: the ViT sizes, its parameters in the official layout (name -> {shape, data}), the
prompts [L, P, D], 'deep' or 'shallow', images [B, H, W, 3]; writes the class token after the final
norm, [B, D], as JSON. The prompt tokens are appended after the patch tokens and cut off after each
block (deep) or after the last (shallow), as the official does.
"""
import json
import math
import sys

import numpy as np

d = json.load(sys.stdin)
D, DEPTH, HEADS, P = d['hidden'], d['depth'], d['heads'], d['patch']
t = {k: np.array(v['data'], dtype=np.float64).reshape(v['shape']) for k, v in d['params'].items()}
prompts = np.array(d['prompts'], dtype=np.float64).reshape(-1, d['tokens'], D)
images = np.array(d['images'], dtype=np.float64).reshape(d['batch'], d['size'], d['size'], 3)
B, S = images.shape[0], images.shape[1]
G = S // P


def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-6) * w + b


def block(x, i):
    s = f'Transformer/encoderblock_{i}/'
    a = s + 'MultiHeadDotProductAttention_1/'
    T = x.shape[1]
    hd = D // HEADS
    y = layer_norm(x, t[s + 'LayerNorm_0/scale'], t[s + 'LayerNorm_0/bias'])
    proj = lambda n: (y @ t[a + n + '/kernel'].reshape(D, D) + t[a + n + '/bias'].reshape(D)).reshape(B, T, HEADS, hd).transpose(0, 2, 1, 3)
    q, k, v = proj('query'), proj('key'), proj('value')
    w = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
    w = np.exp(w - w.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    o = (w @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    x = x + o @ t[a + 'out/kernel'].reshape(D, D) + t[a + 'out/bias']
    y = layer_norm(x, t[s + 'LayerNorm_2/scale'], t[s + 'LayerNorm_2/bias'])
    m = s + 'MlpBlock_3/'
    return x + gelu(y @ t[m + 'Dense_0/kernel'] + t[m + 'Dense_0/bias']) @ t[m + 'Dense_1/kernel'] + t[m + 'Dense_1/bias']


x = np.einsum('bhiwjc,ijco->bhwo', images.reshape(B, G, P, G, P, 3), t['embedding/kernel']).reshape(B, G * G, D) + t['embedding/bias']
x = np.concatenate([np.broadcast_to(t['cls'], (B, 1, D)), x], 1) + t['Transformer/posembed_input/pos_embedding']
n = prompts.shape[1]
if d['vpt_type'] == 'deep':
    for i in range(DEPTH):
        x = block(np.concatenate([x, np.broadcast_to(prompts[i], (B, n, D))], 1), i)[:, :-n]
else:
    x = np.concatenate([x, np.broadcast_to(prompts[0], (B, n, D))], 1)
    for i in range(DEPTH):
        x = block(x, i)
    x = x[:, :-n]
x = layer_norm(x, t['Transformer/encoder_norm/scale'], t['Transformer/encoder_norm/bias'])
json.dump(x[:, 0].ravel().tolist(), sys.stdout)
