"""Exact FLOP count of one training epoch, and the machine's measured peak matmul rate.

A matrix product of (m, k) by (k, n) costs 2*m*k*n floating-point operations (one
multiply and one add per term). For a mini-batch of b samples through the layers
n_0 -> n_1 -> ... -> n_L (784 -> 100 -> 10 here), with column-per-sample notation:

forward, per layer l:       z^l = w^l a^(l-1) + b^l                 2 * b * n_l * n_(l-1)
backward, per layer l:      dC/dw^l = delta^l (a^(l-1))^T  (BP4)    2 * b * n_l * n_(l-1)
backward, layers l >= 2:    (w^l)^T delta^l            (BP2)        2 * b * n_l * n_(l-1)

No gradient is taken with respect to the input data, so BP2's product is skipped for
the first layer. Every matmul term is linear in b, so the epoch's matmul count depends
only on the number of samples, not on how they are batched.

The elementwise work (bias adds, activations, the softmax, BP1, BP2's Hadamard product,
bias-gradient sums and the SGD update) is listed separately. The SGD update costs the
same per *batch* whatever its size, so it is the one term that grows as b shrinks.
"""

from __future__ import annotations

import time

import numpy as np

SIZES = (784, 100, 10)


def batch_sizes_of_epoch(n, b):
    """The sizes of the mini-batches of an epoch of n samples cut into batches of b."""
    full, rest = divmod(n, b)
    return [b] * full + ([rest] if rest else [])


def matmul_flops_per_sample(sizes=SIZES):
    """Matmul FLOPs one sample costs in one training step (forward + backward)."""
    forward = sum(2 * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    weight_grads = forward  # BP4 for every layer: same shapes as the forward products
    input_grads = sum(2 * n_in * n_out for n_in, n_out in zip(sizes[1:-1], sizes[2:]))  # BP2, l >= 2
    return {"forward": forward, "weight_grads": weight_grads, "input_grads": input_grads}


def elementwise_flops(b, sizes=SIZES):
    """Elementwise FLOPs of one training step on a batch of b (a convention, listed apart).

    Counted as one FLOP per element for each add, multiply, compare, max, exp, log or
    divide: bias add (n_l per sample and layer), ReLU (n_l per hidden layer), softmax
    (exp, sum, divide, and the max subtraction: 4 * n_L), BP1 a - y (n_L), ReLU'
    Hadamard (2 per hidden unit: mask and multiply), bias gradient sums (n_l), and the
    SGD update w -= (eta/m) * dw (2 per parameter, once per batch).
    """
    hidden = sizes[1:-1]
    outputs = sizes[-1]
    per_sample = (
        sum(sizes[1:])  # bias add
        + sum(hidden)  # ReLU
        + 4 * outputs  # softmax
        + outputs  # BP1
        + 2 * sum(hidden)  # BP2 Hadamard with relu'
        + sum(sizes[1:])  # BP3 sums over the batch
    )
    n_params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return {"per_sample": b * per_sample, "update": 2 * n_params}


def epoch_flops(n, b, sizes=SIZES):
    """Exact FLOPs of one epoch of n samples at batch size b (the last batch may be short)."""
    batches = batch_sizes_of_epoch(n, b)
    per_sample = matmul_flops_per_sample(sizes)
    matmul = {key: value * n for key, value in per_sample.items()}
    matmul_total = sum(matmul.values())
    elem = [elementwise_flops(m, sizes) for m in batches]
    elem_samples = sum(e["per_sample"] for e in elem)
    elem_update = sum(e["update"] for e in elem)
    return {
        "n": n,
        "batch_size": b,
        "batches": len(batches),
        "matmul": matmul,
        "matmul_total": matmul_total,
        "elementwise_per_sample_total": elem_samples,
        "elementwise_update_total": elem_update,
        "elementwise_total": elem_samples + elem_update,
        "total": matmul_total + elem_samples + elem_update,
    }


def _best_gflops(matmul, n, repeats, dtype_name):
    """Time ``matmul()`` (one (n, n) @ (n, n) product) after a warm-up; best of ``repeats``."""
    matmul()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        matmul()
        times.append(time.perf_counter() - t0)
    best = min(times)
    return {"n": n, "dtype": dtype_name, "best_s": best, "times_s": times, "gflops": 2 * n**3 / best / 1e9}


def peak_numpy_gflops(n=2048, repeats=7, dtype=np.float32):
    """Best-of-``repeats`` GFLOP/s of an (n, n) @ (n, n) NumPy matmul; 2 n^3 FLOPs each."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float64).astype(dtype)
    b = rng.standard_normal((n, n), dtype=np.float64).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    return _best_gflops(lambda: np.matmul(a, b, out=out), n, repeats, np.dtype(dtype).name)


def peak_torch_gflops(torch, n=2048, repeats=7):
    """Best-of-``repeats`` GFLOP/s of a float32 (n, n) @ (n, n) torch.mm, for reference."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g, dtype=torch.float32)
    b = torch.randn(n, n, generator=g, dtype=torch.float32)
    out = torch.empty(n, n, dtype=torch.float32)
    return _best_gflops(lambda: torch.mm(a, b, out=out), n, repeats, "float32")
