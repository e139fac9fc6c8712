"""Independent reference for src/linalg: RanPAC's closed-form steps as its official code writes them
(RanPAC.py `replace_fc`, `optimise_ridge_parameter`), in NumPy float64 and in torch float32.

    /usr/bin/python3 scripts/golden/ranpac_ref.py DIR

DIR/case.json: {"n", "M", "C", "tasks": [[start, end], ...]}; DIR/h.f32: features [n, M] (after
projection and ReLU), DIR/labels.i32: [n]. Each task is the rows start..end in order. Writes
DIR/out.json (per task: float64 losses, argmin, condition numbers of G_val + λI; torch float32
losses and argmin) and, after the last task, DIR/G.f64 [M, M], DIR/Q.f64 [M, C], DIR/Wo.f64 [C, M]
(float64 solve with the float64 λ of the last task).
"""
import json
import sys

import numpy as np


def one_hot(labels, C):
    y = np.zeros((len(labels), C))
    y[np.arange(len(labels)), labels] = 1
    return y


def ridge_losses_f64(H, Y):
    # The official function line by line, in float64 with np.linalg.solve (LU, as torch.linalg.solve).
    ridges = 10.0 ** np.arange(-8, 9)
    num_val_samples = int(H.shape[0] * 0.8)
    Q_val = H[0:num_val_samples, :].T @ Y[0:num_val_samples, :]
    G_val = H[0:num_val_samples, :].T @ H[0:num_val_samples, :]
    # G_val is symmetric positive semi-definite: cond(G_val + λI) from its eigenvalues, once.
    ev = np.clip(np.linalg.eigvalsh(G_val), 0, None)
    losses, conds = [], []
    for ridge in ridges:
        A = G_val + ridge * np.eye(G_val.shape[0])
        Wo = np.linalg.solve(A, Q_val).T
        pred = H[num_val_samples:, :] @ Wo.T
        losses.append(float(np.mean((pred - Y[num_val_samples:, :]) ** 2)))
        conds.append(float((ev.max() + ridge) / (ev.min() + ridge)))
    return losses, int(np.argmin(np.array(losses))), conds


def ridge_losses_torch32(H, Y):
    import torch
    import torch.nn.functional as F
    Features = torch.from_numpy(H.astype(np.float32))
    Yt = torch.from_numpy(Y.astype(np.float32))
    ridges = 10.0 ** np.arange(-8, 9)
    num_val_samples = int(Features.shape[0] * 0.8)
    losses = []
    Q_val = Features[0:num_val_samples, :].T @ Yt[0:num_val_samples, :]
    G_val = Features[0:num_val_samples, :].T @ Features[0:num_val_samples, :]
    for ridge in ridges:
        Wo = torch.linalg.solve(G_val + ridge * torch.eye(G_val.size(dim=0)), Q_val).T
        Y_train_pred = Features[num_val_samples::, :] @ Wo.T
        losses.append(F.mse_loss(Y_train_pred, Yt[num_val_samples::, :]).item())
    return losses, int(np.argmin(np.array(losses)))


def main(d):
    case = json.load(open(f"{d}/case.json"))
    n, M, C = case["n"], case["M"], case["C"]
    H = np.fromfile(f"{d}/h.f32", dtype=np.float32).reshape(n, M).astype(np.float64)
    labels = np.fromfile(f"{d}/labels.i32", dtype=np.int32)
    G = np.zeros((M, M))
    Q = np.zeros((M, C))
    out = []
    for start, end in case["tasks"]:
        Ht, Yt = H[start:end], one_hot(labels[start:end], C)
        Q = Q + Ht.T @ Yt
        G = G + Ht.T @ Ht
        losses, argmin, conds = ridge_losses_f64(Ht, Yt)
        t_losses, t_argmin = ridge_losses_torch32(Ht, Yt) if case.get("torch", True) else (None, None)
        out.append({"losses": losses, "argmin": argmin, "conds": conds, "torch_losses": t_losses, "torch_argmin": t_argmin})
        ridge = 10.0 ** (argmin - 8)
        Wo = np.linalg.solve(G + ridge * np.eye(M), Q).T
    json.dump(out, open(f"{d}/out.json", "w"))
    G.tofile(f"{d}/G.f64")
    Q.tofile(f"{d}/Q.f64")
    Wo.tofile(f"{d}/Wo.f64")


if __name__ == "__main__":
    main(sys.argv[1])
