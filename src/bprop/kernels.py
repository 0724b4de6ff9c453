"""BLAS kernels for the training hot path.

Every matrix product of a layer's forward and backward pass goes through here,
to one BLAS ``gemm`` (C <- alpha op(A) op(B) + beta C) taken from SciPy, which
comes with scikit-learn, a dependency of bprop. Two reasons:

1. ``sgd_update`` fuses BP4 with the plain SGD step of seed 001 (eq. 2-5):

       w^l <- decay * w^l - eta * (delta^l)^T a^(l-1)
              (n_l, n_(l-1))     (n_l, m)  (m, n_(l-1))

   in one call that reads and writes w^l once, where the unfused route writes
   dC/dw^l to a buffer, scales it and subtracts it: three passes over the
   largest array of the network per batch. With decay = 1 - eta lambda / n the
   same call applies L2 weight decay. NumPy exposes no gemm with alpha and beta.
2. NumPy and SciPy each bundle their own OpenBLAS. Calling both alternately in
   every batch leaves one library's idle threads spinning on the cores the
   other needs; on 2 cores that made a batch-128 epoch 15x slower. Using one
   BLAS for all of training avoids it.

The arrays are passed as Fortran-ordered views of the C-ordered ones (a C-order
(m, n) array is an F-order (n, m) one), so nothing is copied. Arrays that are
not contiguous float32/float64 fall back to NumPy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class SGDStep(NamedTuple):
    """A plain SGD update to apply during backward: w <- decay * w - eta * dC/dw."""

    eta: float
    decay: float = 1.0


_GEMM: dict = {}


def _gemm(*arrays: np.ndarray):
    """SciPy's gemm for the arrays' common float dtype, or None if they don't fit."""
    dtype = arrays[0].dtype
    for array in arrays:
        if array.dtype != dtype or not array.flags.c_contiguous:
            return None
    if dtype not in _GEMM:
        from scipy.linalg import blas

        _GEMM[dtype] = {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}.get(dtype)
    return _GEMM[dtype]


def matmul_transposed(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """x w^T: (m, n_in) (n_out, n_in)^T -> (m, n_out), the forward z^l without the bias."""
    gemm = _gemm(x, weights)
    if gemm is None:
        return x @ weights.T
    # z^T (n_out, m) = w (n_out, n_in) @ x^T (n_in, m); w is passed as its F-order transpose.
    return gemm(1.0, weights.T, x.T, trans_a=1).T


def matmul(delta: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """delta w: (m, n_out) (n_out, n_in) -> (m, n_in), BP2's product with w^l."""
    gemm = _gemm(delta, weights)
    if gemm is None:
        return delta @ weights
    return gemm(1.0, weights.T, delta.T).T


def weight_gradient(delta: np.ndarray, inputs: np.ndarray, out: np.ndarray) -> None:
    """out <- delta^T inputs: BP4, (n_out, m) (m, n_in) -> (n_out, n_in), written in place."""
    gemm = _gemm(delta, inputs, out)
    if gemm is None:
        np.matmul(delta.T, inputs, out=out)
        return
    target = out.T
    result = gemm(1.0, inputs.T, delta.T, 0.0, target, trans_b=1, overwrite_c=1)
    if result is not target:  # the wrapper had to copy: write the result back
        out[...] = result.T


def sgd_update(weights: np.ndarray, delta: np.ndarray, inputs: np.ndarray, eta: float, decay: float = 1.0) -> None:
    """weights <- decay * weights - eta * delta^T inputs, in place (BP4 and the SGD step).

    Args:
        weights: w^l, (n_l, n_(l-1)).
        delta: delta^l of the batch-mean cost, (m, n_l).
        inputs: a^(l-1), (m, n_(l-1)).
        eta: learning rate; decay: factor on the old weights (1: none).
    """
    gemm = _gemm(weights, delta, inputs)
    if gemm is None:
        if decay != 1.0:
            weights *= decay
        weights -= eta * (delta.T @ inputs)
        return
    # F-order view: w^T (n_(l-1), n_l) <- -eta * inputs^T (n_(l-1), m) @ delta (m, n_l) + decay * w^T
    target = weights.T
    result = gemm(-eta, inputs.T, delta.T, decay, target, trans_b=1, overwrite_c=1)
    if result is not target:  # the wrapper had to copy: write the result back
        weights[...] = result.T
