"""The PyTorch L2P model of the peer benchmark (bench/peer/l2p_step.py): a ViT with flax semantics,
the prompt pool with key-query selection, and the training and evaluation steps. See that file's
docstring for the semantics; it sets the BLAS thread count before this module imports torch.
"""
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

LN_EPS = 1e-6


# ---------------------------------------------------------------------------------------------
# ViT, flax semantics


def gelu_tanh(x):
    return F.gelu(x, approximate='tanh')  # flax nn.gelu's default (approximate=True)


class Block(nn.Module):
    """Pre-LN encoder block: x + MHA(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln0 = nn.LayerNorm(d, eps=LN_EPS)
        # The query, key and value projections (three [D, D] kernels + biases), stored stacked as
        # one [3D, D] weight: the same arithmetic as three separate projections, one GEMM.
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=LN_EPS)
        self.fc0 = nn.Linear(d, mlp)
        self.fc1 = nn.Linear(mlp, d)

    def attention(self, x):
        b, t, d = x.shape
        h = self.heads
        hd = d // h
        qkv = self.qkv(x).view(b, t, 3, h, hd).permute(2, 0, 3, 1, 4)  # [3, B, H, T, hd]
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q * (1.0 / math.sqrt(hd)), k.transpose(-1, -2))  # [B, H, T, T]
        o = torch.matmul(scores.softmax(-1), v)  # [B, H, T, hd]
        return self.out(o.transpose(1, 2).reshape(b, t, d))

    def forward(self, x):
        x = x + self.attention(self.ln0(x))
        return x + self.fc1(gelu_tanh(self.fc0(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self, cfg, image):
        super().__init__()
        d, p = cfg['hidden'], cfg['patch']
        if image % p:
            raise SystemExit(f'--image {image} is not a multiple of the patch size {p}')
        self.num_patches = (image // p) ** 2
        self.embedding = nn.Conv2d(3, d, kernel_size=p, stride=p)  # 'embedding' (HWIO in flax)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.zeros(1, 1 + self.num_patches, d))
        self.blocks = nn.ModuleList(Block(d, cfg['heads'], cfg['mlp']) for _ in range(cfg['depth']))
        self.encoder_norm = nn.LayerNorm(d, eps=LN_EPS)

    def embed(self, images):
        """images [B, 3, H, W] -> [B, 1+N, D]: class token first, position embedding added."""
        x = self.embedding(images).flatten(2).transpose(1, 2)  # [B, N, D]
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        return x + self.pos_embedding

    def encode(self, x):
        """Encoder blocks + encoder_norm: [B, T, D] -> [B, T, D]."""
        for blk in self.blocks:
            x = blk(x)
        return self.encoder_norm(x)

    def pre_logits(self, images):
        """The un-prompted forward to the class token's encoder_norm output: L2P's query [B, D]."""
        return self.encode(self.embed(images))[:, 0]


def randomize(module, gen):
    """Seeded random weights: N(0, 0.02) kernels and embeddings, zero biases, unit LN scales."""
    with torch.no_grad():
        for name, t in module.named_parameters():
            if name.endswith('bias'):
                t.zero_()
            elif re.search(r'(^|\.)(ln\d|encoder_norm)\.weight$', name):
                t.fill_(1.0)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.02)


# ---------------------------------------------------------------------------------------------
# L2P


def l2_normalize(x, eps=1e-12):
    """x * rsqrt(max(sum x^2, eps)) along the last axis, as the official l2_normalize."""
    return x * torch.rsqrt(torch.clamp((x * x).sum(-1, keepdim=True), min=eps))


def majority_vote(idx, pool, top_k):
    """[B, N] per-example ids -> [N] ids: the N most frequent over the batch, ties to the lower id,
    most frequent first (jnp.unique + lax.top_k in the official code)."""
    counts = torch.bincount(idx.flatten(), minlength=pool)
    order = torch.sort(counts, descending=True, stable=True).indices  # stable: lower id first on ties
    return order[:top_k]


class L2P(nn.Module):
    def __init__(self, vit, d, pool, length, top_k, classes, batchwise, gen):
        super().__init__()
        self.vit = vit
        self.top_k = top_k
        self.batchwise = batchwise
        # flax nn.initializers.uniform(): U[0, 0.01); prompt_key_init 'uniform' the same.
        self.prompt = nn.Parameter(torch.rand(pool, length, d, generator=gen) * 0.01)
        self.key = nn.Parameter(torch.rand(pool, d, generator=gen) * 0.01)
        # The official head kernel starts at zero; random here so that the prompts get a gradient
        # from the first step (the arithmetic is the same either way).
        self.head = nn.Linear(d, classes)
        with torch.no_grad():
            self.head.weight.copy_(torch.randn(classes, d, generator=gen) * 0.02)
            self.head.bias.zero_()

    @torch.no_grad()
    def query(self, images):
        return self.vit.pre_logits(images)

    def select(self, query):
        """query [B, D] -> (ids [B, N], reduce_sim scalar)."""
        key_norm = l2_normalize(self.key)  # [M, D]
        q_norm = l2_normalize(query)  # [B, D]
        sim = q_norm @ key_norm.t()  # [B, M]
        # top-N per example, ties to the lower id as lax.top_k (matters only for equal keys)
        idx = torch.sort(sim, dim=1, descending=True, stable=True).indices[:, :self.top_k]  # [B, N]
        if self.batchwise:
            idx = majority_vote(idx, self.key.shape[0], self.top_k).unsqueeze(0).expand(query.shape[0], -1)
        reduce_sim = (key_norm[idx] * q_norm.unsqueeze(1)).sum() / query.shape[0]
        return idx, reduce_sim

    def prompted_logits(self, images, idx):
        b = images.shape[0]
        prompts = self.prompt[idx].reshape(b, -1, self.prompt.shape[-1])  # [B, N*Lp, D]
        x = torch.cat([prompts, self.vit.embed(images)], dim=1)  # [prompts, cls, patches]
        x = self.vit.encode(x)
        return self.head(x[:, :prompts.shape[1]].mean(1))  # classifier 'prompt'

    def trained(self):
        return [self.prompt, self.key, self.head.weight, self.head.bias]


def masked(logits, class_mask):
    return logits.masked_fill(~class_mask, float('-inf'))


def train_step(model, opt, images, labels, class_mask, pull_coeff, clip):
    query = model.query(images)
    idx, reduce_sim = model.select(query)
    logits = masked(model.prompted_logits(images, idx), class_mask)
    ce = F.cross_entropy(logits, labels)
    loss = ce - pull_coeff * reduce_sim
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:  # min(1, clip / (norm + 1e-6)) over the trained tensors, as the official g_factor
        torch.nn.utils.clip_grad_norm_(model.trained(), clip)
    opt.step()
    return loss.detach(), ce.detach(), idx


@torch.no_grad()
def eval_step(model, images):
    """Class-incremental evaluation (the official eval_task_inc=False): argmax over all classes."""
    idx, _ = model.select(model.query(images))
    return model.prompted_logits(images, idx).argmax(-1)
