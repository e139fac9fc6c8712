#!/usr/bin/env python3
"""PyTorch peer of one L2P training step, for side-by-side speed benchmarks only.

Our own minimal plain-torch (no timm) re-implementation of the step that L2P.ts runs, with the
same shapes and the official (google-research/l2p, flax) semantics:

  query    frozen ViT, encoder_norm output at the class token ("pre_logits"), under no_grad
  select   cosine similarity of the L2-normalised query and prompt keys, top-N per example,
           batch-wise majority vote (ties to the lower prompt id)
  prompted the N selected prompts [B, N*Lp, D] prepended to [cls, patches] after the position
           embedding; frozen encoder + encoder_norm; classifier 'prompt' = mean of the N*Lp prompt
           outputs; head dense [D, C]
  loss     masked-logit cross entropy - pull_coeff * reduce_sim
  update   backward to prompt, key and head only; clip by global norm; Adam

It is never a dependency of L2P.ts. See docs/peer.md.

  /usr/bin/python3 bench/peer/l2p_step.py --model B/16 --batch 8 --json
  /usr/bin/python3 bench/peer/l2p_step.py --check
"""
import argparse
import os
import re
import sys

SIZES = {  # width, depth, heads, MLP width; the patch size comes from the name ('B/16')
    'mu': (48, 2, 3, 96),
    'Ti': (192, 12, 3, 768),
    'S': (384, 12, 6, 1536),
    'B': (768, 12, 12, 3072),
    'L': (1024, 24, 16, 4096),
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--model', default='B/16', help='mu/8, Ti/16, S/16, B/16, L/16 (also ViT-B_16)')
    ap.add_argument('--image', type=int, default=224, help='input height = width, pixels')
    ap.add_argument('--batch', type=int, default=8, help='images per step')
    ap.add_argument('--pool', type=int, default=10, help='prompt pool size M')
    ap.add_argument('--length', type=int, default=5, help='prompt length Lp')
    ap.add_argument('--top-k', type=int, default=5, help='prompts selected N (N*Lp prompt tokens)')
    ap.add_argument('--batchwise', action=argparse.BooleanOptionalAction, default=True,
                    help='batch-wise majority vote over the per-example top-N')
    ap.add_argument('--classes', type=int, default=100, help='head width C')
    ap.add_argument('--task-classes', type=int, default=10, help='classes in the current class mask')
    ap.add_argument('--task', type=int, default=0, help='mask = classes [task*T, (task+1)*T)')
    ap.add_argument('--pull-coeff', type=float, default=1.0, help='weight of reduce_sim in the loss')
    ap.add_argument('--lr', type=float, default=0.03, help='Adam learning rate (speed does not depend on it)')
    ap.add_argument('--clip', type=float, default=1.0, help='global-norm clip; 0 turns it off')
    ap.add_argument('--iters', type=int, default=3, help='timed iterations after 1 warm-up; best reported')
    ap.add_argument('--torch-threads', '--threads', dest='torch_threads', type=int, default=1,
                    help='torch.set_num_threads (intra-op pool)')
    ap.add_argument('--blas-threads', type=int, default=None,
                    help='OPENBLAS_NUM_THREADS, set before torch loads; None: the environment '
                         "variable's value if set, else 2")
    ap.add_argument('--seed', type=int, default=0, help='weights, prompts, images and labels')
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'],
                    help='cuda: the same step on the GPU in fp32 (TF32 off), timed with synchronisation')
    ap.add_argument('--json', action='store_true', help='print one JSON object')
    ap.add_argument('--check', action='store_true',
                    help='self-check on mu/8 at 32x32: gradient flow, loss decrease, selection')
    return ap.parse_args(argv)


ARGS = parse_args() if __name__ == '__main__' else None

# OpenBLAS reads its thread count when the library loads, so this must precede `import torch`.
if ARGS is not None:
    if ARGS.blas_threads is not None:
        os.environ['OPENBLAS_NUM_THREADS'] = str(ARGS.blas_threads)
    else:
        os.environ.setdefault('OPENBLAS_NUM_THREADS', '2')

import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from l2p_model import eval_step, l2_normalize, L2P, majority_vote, masked, randomize, train_step, ViT  # noqa: E402

def decode_variant(name):
    m = re.match(r'^(?:ViT-)?([A-Za-z]+)[/_](\d+)$', name.strip())
    if not m or m.group(1) not in SIZES:
        raise SystemExit(f"unknown ViT variant '{name}' (known: {', '.join(k + '/16' for k in SIZES)})")
    hidden, depth, heads, mlp = SIZES[m.group(1)]
    return dict(hidden=hidden, depth=depth, heads=heads, mlp=mlp, patch=int(m.group(2)))


# ---------------------------------------------------------------------------------------------
# Work estimate


def vit_matmul_flops(cfg, tokens, num_patches, with_patch_embed=True):
    """Forward matmul FLOPs per image, 2*m*k*n each, for an encoder over `tokens` tokens."""
    d, f, p = cfg['hidden'], cfg['mlp'], cfg['patch']
    t = tokens
    block = 2 * t * d * 3 * d + 2 * t * d * d + 2 * (2 * t * d * f)  # qkv, out, MLP
    block += 2 * (2 * t * t * d)  # q.k^T and softmax.v over all heads
    patch = 2 * num_patches * (p * p * 3) * d if with_patch_embed else 0
    return patch + cfg['depth'] * block


def flop_estimate(cfg, num_patches, prompt_tokens, pool, classes):
    """GFLOP per image. See docs/peer.md, 'What the FLOP numbers count'."""
    d, f = cfg['hidden'], cfg['mlp']
    t0 = 1 + num_patches
    t1 = prompt_tokens + t0
    query = vit_matmul_flops(cfg, t0, num_patches)
    select = 2 * pool * d  # the [1, D] x [D, M] similarity
    prompted = vit_matmul_flops(cfg, t1, num_patches) + 2 * d * classes
    # Backward to the activations only (the backbone is frozen): each weight GEMM's input gradient
    # costs what its forward did; both attention GEMMs need gradients for both operands (2x); the
    # head also needs its weight gradient (2x); nothing flows into the patch embedding.
    backward = cfg['depth'] * (2 * t1 * d * 3 * d + 2 * t1 * d * d + 2 * (2 * t1 * d * f)
                               + 2 * 2 * (2 * t1 * t1 * d)) + 2 * (2 * d * classes)
    g = 1e-9
    return dict(query=query * g, eval=(query + select + prompted) * g,
                train=(query + select + prompted + backward) * g,
                prompted_forward=prompted * g, backward=backward * g)


# ---------------------------------------------------------------------------------------------
# Environment


def blas_info():
    """The BLAS torch was built against, and the library actually loaded, with its thread count."""
    cfg = torch.__config__.show()
    m = re.search(r'BLAS_INFO=([^,\s]+)', cfg)
    info = {'build': m.group(1) if m else None, 'loaded': None}
    torch.ones(4, 4) @ torch.ones(4, 4)  # make sure the BLAS is mapped
    try:
        with open('/proc/self/maps') as fh:
            libs = sorted({ln.split()[-1] for ln in fh if re.search(r'/lib(open)?blas[^/]*\.so', ln)})
        info['loaded'] = libs
        import ctypes
        for path in libs:
            lib = ctypes.CDLL(path)
            if hasattr(lib, 'openblas_get_config'):
                lib.openblas_get_config.restype = ctypes.c_char_p
                info['openblas_config'] = lib.openblas_get_config().decode().strip()
                info['openblas_threads'] = lib.openblas_get_num_threads()
                break
    except OSError:
        pass
    info['OPENBLAS_NUM_THREADS'] = os.environ.get('OPENBLAS_NUM_THREADS')
    return info


def build(cfg, image, args, seed):
    model, opt, images, labels, class_mask = build_cpu(cfg, image, args, seed)
    dev = torch.device(getattr(args, 'device', 'cpu'))
    if dev.type == 'cpu':
        return model, opt, images, labels, class_mask
    model.to(dev)  # parameters move in place, so the optimiser keeps them
    return model, opt, images.to(dev), labels.to(dev), class_mask.to(dev)


def build_cpu(cfg, image, args, seed):
    gen = torch.Generator().manual_seed(seed)
    vit = ViT(cfg, image)
    randomize(vit, gen)
    vit.requires_grad_(False)
    vit.eval()
    model = L2P(vit, cfg['hidden'], args.pool, args.length, args.top_k, args.classes, args.batchwise, gen)
    opt = torch.optim.Adam(model.trained(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)  # flax defaults
    images = torch.rand(args.batch, 3, image, image, generator=gen)
    lo = args.task * args.task_classes
    if lo + args.task_classes > args.classes:
        raise SystemExit('--task/--task-classes go past --classes')
    class_mask = torch.zeros(args.classes, dtype=torch.bool)
    class_mask[lo:lo + args.task_classes] = True
    labels = torch.randint(lo, lo + args.task_classes, (args.batch,), generator=gen)
    return model, opt, images, labels, class_mask


def sync():
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def best_time(fn, iters):
    fn()  # warm-up
    sync()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        sync()  # CUDA kernels run asynchronously: the step ends when the GPU is done
        times.append(time.perf_counter() - t)
    return min(times), times


# ---------------------------------------------------------------------------------------------
# Self-check


def check(args):
    ok = True

    def report(name, passed, detail=''):
        nonlocal ok
        ok &= bool(passed)
        print(f"{'ok  ' if passed else 'FAIL'} {name}{': ' + detail if detail else ''}")

    # Majority vote: counts id0:2 id1:2 id2:3 id3:1 -> [2, 0, 1] (2 first, then the 0/1 tie lower-first).
    ids = majority_vote(torch.tensor([[2, 0, 1], [2, 1, 3], [2, 0, 3]]), 5, 3).tolist()
    report('majority vote, ties to the lower id', ids == [2, 0, 1], str(ids))
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    y = l2_normalize(x)
    report('l2_normalize', torch.allclose(y[0], torch.tensor([0.6, 0.8])) and torch.all(y[1] == 0), str(y.tolist()))

    args.model, args.image, args.batch = 'mu/8', 32, 8
    cfg = decode_variant(args.model)
    model, opt, images, labels, class_mask = build(cfg, args.image, args, args.seed)
    backbone0 = {n: t.detach().clone() for n, t in model.vit.named_parameters()}
    trained = {'prompt', 'key', 'head.weight', 'head.bias'}
    req = {n for n, t in model.named_parameters() if t.requires_grad}
    report('requires_grad only on prompt/key/head', req == trained, str(sorted(req)))

    # One backward, no update: where do the gradients land?
    query = model.query(images)
    report('query computed without autograd', not query.requires_grad)
    idx, reduce_sim = model.select(query)
    logits = masked(model.prompted_logits(images, idx), class_mask)
    (F.cross_entropy(logits, labels) - args.pull_coeff * reduce_sim).backward()
    with_grad = {n for n, t in model.named_parameters() if t.grad is not None}
    report('gradients only on prompt/key/head', with_grad == trained, str(sorted(with_grad)))
    sel = set(idx.flatten().tolist())  # batch-wise: the same N ids in every row
    g_rows = model.prompt.grad.abs().sum((1, 2))
    nonzero = {i for i in range(args.pool) if g_rows[i] > 0}
    n_ok = len(sel) == args.top_k if args.batchwise else len(sel) >= args.top_k
    report('prompt gradient exactly on the selected prompts', nonzero == sel and n_ok,
           f'selected {sorted(sel)}, nonzero rows {sorted(nonzero)}')
    report('key and head gradients nonzero', all(t.grad.abs().sum() > 0 for t in model.trained()[1:]))
    report('masked logits are -inf outside the class mask',
           bool(torch.isinf(logits[:, ~class_mask]).all()) and bool(torch.isfinite(logits[:, class_mask]).all()))

    with torch.no_grad():  # equal (zero) keys: every similarity ties, so ids 0..N-1 per example
        saved = model.key.detach().clone()
        model.key.zero_()
        tie_idx, _ = model.select(query)
        model.key.copy_(saved)
    report('top-N ties to the lower id', tie_idx.tolist() == [list(range(args.top_k))] * args.batch,
           str(tie_idx[0].tolist()))

    losses, ces = [], []
    for _ in range(5):
        loss, ce, idx = train_step(model, opt, images, labels, class_mask, args.pull_coeff, args.clip)
        losses.append(loss.item())
        ces.append(ce.item())
    report('loss decreases over 5 steps on a fixed batch', losses[-1] < losses[0],
           'loss ' + ' '.join(f'{v:.4f}' for v in losses) + ' | ce ' + ' '.join(f'{v:.4f}' for v in ces))
    same = all(torch.equal(backbone0[n], t) for n, t in model.vit.named_parameters())
    report('backbone unchanged by the optimiser', same)

    # The analytic FLOP counts against torch's profiler (mm, addmm, bmm, conv2d; backward included).
    try:
        from torch.profiler import profile, ProfilerActivity
        gemm = {'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::conv2d'}  # not its elementwise counts
        est = flop_estimate(cfg, model.vit.num_patches, args.top_k * args.length, args.pool, args.classes)
        for name, fn in [('eval', lambda: eval_step(model, images)),
                         ('train', lambda: train_step(model, opt, images, labels, class_mask, args.pull_coeff, args.clip))]:
            with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
                fn()
            measured = sum(e.flops for e in prof.key_averages() if e.key in gemm) / args.batch * 1e-9
            report(f'{name} GFLOP estimate matches the profiler', abs(measured - est[name]) <= 1e-6 * est[name],
                   f'estimate {est[name]:.6f}, profiler {measured:.6f} GFLOP/img')
    except Exception as e:  # the profiler is a cross-check, not a requirement
        print(f'skip profiler FLOP cross-check: {e}')
    print('check ' + ('passed' if ok else 'FAILED'))
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------


def main(args):
    torch.set_num_threads(args.torch_threads)
    if args.check:
        return check(args)
    if args.device == 'cuda':
        if not torch.cuda.is_available():
            raise SystemExit('--device cuda: torch sees no CUDA device')
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 arithmetic, as ours
        torch.backends.cudnn.allow_tf32 = False
    cfg = decode_variant(args.model)
    model, opt, images, labels, class_mask = build(cfg, args.image, args, args.seed)
    b = args.batch
    prompt_tokens = args.top_k * args.length
    log = (lambda s: None) if args.json else print
    log(f'ViT-{args.model} at {args.image}x{args.image}, batch {b}, {prompt_tokens} prompt tokens, '
        f'torch threads {torch.get_num_threads()}, OPENBLAS_NUM_THREADS {os.environ.get("OPENBLAS_NUM_THREADS")}')

    q_best, q_times = best_time(lambda: model.query(images), args.iters)
    log(f'query forward:  {q_best / b * 1e3:.2f} ms/img')
    t_best, t_times = best_time(
        lambda: train_step(model, opt, images, labels, class_mask, args.pull_coeff, args.clip), args.iters)
    log(f'train step:     {t_best / b * 1e3:.2f} ms/img (query + prompted forward + backward + Adam)')
    e_best, e_times = best_time(lambda: eval_step(model, images), args.iters)
    log(f'eval step:      {e_best / b * 1e3:.2f} ms/img (query + prompted forward)')

    flops = flop_estimate(cfg, model.vit.num_patches, prompt_tokens, args.pool, args.classes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        'impl': 'pytorch-peer',
        'model': args.model,
        'batch': b,
        'image': args.image,
        'prompt_tokens': prompt_tokens,
        'pool': args.pool,
        'length': args.length,
        'top_k': args.top_k,
        'batchwise': args.batchwise,
        'classes': args.classes,
        'iters': args.iters,
        'threads': {'torch': torch.get_num_threads(), 'openblas_env': os.environ.get('OPENBLAS_NUM_THREADS')},
        'torch': torch.__version__,
        'blas': blas_info(),
        'query_s_per_img': q_best / b,
        'train_s_per_img': t_best / b,
        'eval_s_per_img': e_best / b,
        'times_s': {'query': q_times, 'train': t_times, 'eval': e_times},
        'gflop_per_img': flops,
        'train_gflop_per_img': flops['train'],
        'eval_gflop_per_img': flops['eval'],
        'train_gflops_per_s': flops['train'] * b / t_best,
        'eval_gflops_per_s': flops['eval'] * b / e_best,
        'peak_rss_mb': peak,
        'device': args.device,
    }
    if args.device == 'cuda':
        result['gpu'] = torch.cuda.get_device_name()
        result['peak_gpu_mb'] = torch.cuda.max_memory_allocated() / 2**20
    if args.json:
        print(json.dumps(result))
    else:
        log(f"GFLOP/img (matmul): train {flops['train']:.4g}, eval {flops['eval']:.4g}, query {flops['query']:.4g}; "
            f"train {result['train_gflops_per_s']:.1f} GFLOP/s, eval {result['eval_gflops_per_s']:.1f} GFLOP/s")
        log(f"BLAS: {result['blas']}")
        log(f'peak RSS {peak:.0f} MB')
    return 0


if __name__ == '__main__':
    sys.exit(main(ARGS))
