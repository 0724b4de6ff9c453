"""BLAS kernels for the training hot path.

Every matrix product of a layer's forward and backward pass goes through here,
to one BLAS ``gemm`` (C <- alpha op(A) op(B) + beta C) or ``gemv`` taken from
SciPy, which comes with scikit-learn, a dependency of bprop. Four reasons:

1. ``bind_weight_gradient`` can fuse BP4 with the plain SGD step of seed 001 (eq. 2-5):

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

3. gemm's beta and gemv fold the biases in: ``affine`` fills z with b and lets
   gemm add x w^T to it (no separate pass to add the bias), and
   ``bind_bias_gradient`` computes BP3 as one gemv, (delta^l)^T 1, stored or fused
   with the SGD step, b <- b - eta (delta^l)^T 1.

4. A gemv with a vector of ones sums the rows of a (m, n_L) output in one pass
   (``row_sum``), where NumPy's reduction along the short last axis goes row by
   row. (The softmax avoids that reduction another way: it works on the
   transpose, see ``activations.Softmax.forward_columns``.)

Every product writes into a given array (or updates in place), so the training
loop reuses the same buffers batch after batch instead of allocating.

The arrays are passed as Fortran-ordered views of the C-ordered ones (a C-order
(m, n) array is an F-order (n, m) one), so nothing is copied. Arrays that are
not contiguous float32/float64 fall back to NumPy.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


_BLAS: dict = {}


def _routine(kind: str, arrays):
    """SciPy's BLAS routine ``kind`` ("gemm", "gemv", "nrm2", "asum") for the
    arrays' common float dtype, or None when they are not all C-contiguous
    float32/float64 of one dtype (the caller then falls back to NumPy)."""
    dtype = arrays[0].dtype
    for array in arrays:
        # == rather than `is`: an unpickled array's dtype is an equal but distinct object;
        # a byte-swapped dtype is not equal and goes to the NumPy fallback (routines are
        # looked up when a product is bound, so the slower comparison costs nothing per batch).
        if array.dtype != dtype or not array.flags.c_contiguous:
            return None
    key = (kind, dtype)
    routine = _BLAS.get(key, _BLAS)
    if routine is _BLAS:
        from scipy.linalg import blas

        prefix = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(dtype)
        routine = _BLAS[key] = getattr(blas, prefix + kind) if prefix else None
    return routine


# The calls below pass the wrappers' optional arguments by position, which saves about
# 0.4 us per call over keywords (7 calls per training batch). The orders are SciPy's:
#   gemm(alpha, a, b, beta, c, trans_a, trans_b, overwrite_c)
#       c <- alpha op(a) op(b) + beta c
#   gemv(alpha, a, x, beta, y, offx, incx, offy, incy, trans, overwrite_y)
#       y <- alpha op(a) x + beta y


def _gemm(*arrays: np.ndarray):
    return _routine("gemm", arrays)


_ONES: dict = {}


def _ones(m: int, dtype) -> np.ndarray:
    """A read-only vector of m ones (cached: the largest asked for, sliced)."""
    ones = _ONES.get(dtype)
    if ones is None or ones.shape[0] < m:
        ones = np.ones(max(m, 64), dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:m]


def _written(result: np.ndarray, target: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` after a BLAS call asked to write into ``target`` (out's F-order view)."""
    if result is not target:  # the wrapper had to copy: write the result back
        out[...] = result.T
    return out


# -- Bound products ---------------------------------------------------------------------
# A training step makes the same products on the same buffers batch after batch, so each
# product is *bound* once to its arrays: ``bind_*`` works out the BLAS routine for the
# dtype, the contiguity checks and the F-order views, and returns a function that only
# makes the call (about 0.5-1 us saved per product against finding them on every call).
# A layer keeps its bound products in a plan (``layers.dense``), re-bound when an array
# changes. Arrays that are not contiguous floats of one dtype get the same product from
# NumPy. These four functions are the only implementation of the products; ``affine`` and
# ``matmul`` below bind and call once, for one-off products (inference, tests).


def bind_affine(x: np.ndarray, weights: np.ndarray, biases: np.ndarray, out: np.ndarray) -> Callable[[], np.ndarray]:
    """z = x w^T + b: (m, n_in) (n_out, n_in)^T + (n_out,) -> (m, n_out) into ``out``, the
    forward z^l, as a function of no arguments (returns ``out``).

    The bias is folded into the product: ``out`` is filled with b row by row and gemm adds
    the product to it (beta = 1), instead of a separate pass that adds b afterwards.
    """
    gemm = _gemm(x, weights, out)
    if gemm is None:
        def affine_numpy() -> np.ndarray:
            np.matmul(x, weights.T, out=out)
            return np.add(out, biases, out=out)

        return affine_numpy
    # F-order view: z^T (n_out, m) <- w (n_out, n_in) @ x^T (n_in, m) + z^T; w is passed as its F-order transpose.
    weights_t, x_t, target = weights.T, x.T, out.T

    def affine_blas() -> np.ndarray:
        out[...] = biases
        return _written(gemm(1.0, weights_t, x_t, 1.0, target, 1, 0, 1), target, out)  # trans_a, overwrite_c

    return affine_blas


def bind_matmul(delta: np.ndarray, weights: np.ndarray, out: np.ndarray) -> Callable[[], np.ndarray]:
    """delta w: (m, n_out) (n_out, n_in) -> (m, n_in) into ``out``, BP2's product with w^l,
    as a function of no arguments (returns ``out``)."""
    gemm = _gemm(delta, weights, out)
    if gemm is None:
        return lambda: np.matmul(delta, weights, out=out)
    weights_t, delta_t, target = weights.T, delta.T, out.T

    def matmul_blas() -> np.ndarray:
        return _written(gemm(1.0, weights_t, delta_t, 0.0, target, 0, 0, 1), target, out)  # overwrite_c

    return matmul_blas


def _scaled_into(value: np.ndarray, target: np.ndarray, alpha: float, beta: float) -> None:
    """target <- alpha value + beta target (beta = 0 ignores what target held, as BLAS does)."""
    if beta == 0.0:
        np.multiply(value, alpha, out=target)
    else:
        np.multiply(target, beta, out=target)
        np.add(target, alpha * value, out=target)


def bind_weight_gradient(delta: np.ndarray, inputs: np.ndarray, target: np.ndarray) -> Callable[[float, float], None]:
    """BP4, target <- alpha delta^T inputs + beta target, (n_l, m) (m, n_(l-1)) -> (n_l, n_(l-1)),
    in place, as a function of (alpha, beta): one gemm.

    alpha = 1, beta = 0 stores dC/dw^l in a gradient buffer; alpha = -eta, beta = decay applied
    to w^l itself is plain SGD fused with BP4 (seed 001, eq. 2-5, and L2 weight decay):

        w^l <- decay * w^l - eta * (delta^l)^T a^(l-1)

    which reads and writes w^l once, where storing the gradient and then stepping makes
    three passes over the largest array of the network. NumPy has no gemm with alpha and beta.
    """
    gemm = _gemm(target, delta, inputs)
    if gemm is None:
        def weight_gradient_numpy(alpha: float, beta: float) -> None:
            _scaled_into(delta.T @ inputs, target, alpha, beta)

        return weight_gradient_numpy
    # F-order view: target^T (n_(l-1), n_l) <- alpha inputs^T (n_(l-1), m) @ delta (m, n_l) + beta target^T
    inputs_t, delta_t, target_t = inputs.T, delta.T, target.T

    def weight_gradient_blas(alpha: float, beta: float) -> None:
        _written(gemm(alpha, inputs_t, delta_t, beta, target_t, 0, 1, 1), target_t, target)  # trans_b, overwrite_c

    return weight_gradient_blas


def bind_bias_gradient(delta: np.ndarray, target: np.ndarray) -> Callable[[float, float], None]:
    """BP3, target <- alpha Σ_x delta + beta target, (n_l,), in place, as a function of
    (alpha, beta): one gemv, (delta^l)^T 1: (n_l, m) (m,). As in ``bind_weight_gradient``,
    (1, 0) stores dC/db^l and (-eta, 1) on b^l is the fused SGD step."""
    gemv = _routine("gemv", (target, delta))
    if gemv is None:
        def bias_gradient_numpy(alpha: float, beta: float) -> None:
            _scaled_into(delta.sum(axis=0), target, alpha, beta)

        return bias_gradient_numpy
    delta_t, ones = delta.T, _ones(delta.shape[0], delta.dtype)

    def bias_gradient_blas(alpha: float, beta: float) -> None:
        result = gemv(alpha, delta_t, ones, beta, target, 0, 1, 0, 1, 0, 1)  # incx = incy = 1, overwrite_y
        if result is not target:
            target[...] = result

    return bias_gradient_blas


def affine(x: np.ndarray, weights: np.ndarray, biases: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """z = x w^T + b, (m, n_out), once (``bind_affine``); into ``out`` when given."""
    if out is None:
        out = np.empty((x.shape[0], weights.shape[0]), dtype=x.dtype)
    return bind_affine(x, weights, biases, out)()


def matmul(delta: np.ndarray, weights: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """delta w, (m, n_in), once (``bind_matmul``); into ``out`` when given."""
    if out is None:
        out = np.empty((delta.shape[0], weights.shape[1]), dtype=delta.dtype)
    return bind_matmul(delta, weights, out)()


#: Below this many rows ``row_sum`` leaves the work to NumPy: the per-row cost it
#: avoids is smaller there than the cost of setting up the gemv.
ROW_REDUCTION_MIN_ROWS = 64


def row_sum(x: np.ndarray) -> np.ndarray:
    """The sum of each row of x, (m, n) -> (m,): one gemv, x 1.

    NumPy reduces a C-ordered array along its short last axis row by row, a few
    nanoseconds per row (11 us for a (512, 10) softmax output); BLAS does it in one
    pass (2 us).
    """
    gemv = _routine("gemv", (x,)) if x.ndim == 2 and x.shape[0] >= ROW_REDUCTION_MIN_ROWS and x.shape[1] else None
    if gemv is None:
        return np.add.reduce(x, axis=1)  # x.sum(axis=1) without its Python wrapper
    # x^T is the F-ordered (n, m) view of x; trans=1 gives (x^T)^T 1 = x 1.
    return gemv(1.0, x.T, _ones(x.shape[1], x.dtype), trans=1)


def gram_norm_is_cheaper(m: int, n_in: int, n_out: int) -> bool:
    """True when ``weight_gradient_norm`` of a batch of m rows through an (n_out, n_in)
    layer uses the Gram matrices: m² (n_in + n_out) < m n_in n_out multiplications."""
    return m * (n_in + n_out) < n_in * n_out


def weight_gradient_norm(delta: np.ndarray, inputs: np.ndarray, scratch: np.ndarray | None = None) -> float:
    """||(delta)^T inputs||_F: the Frobenius norm of BP4's dC/dw^l, (n_l, n_(l-1)).

    For a small batch of m rows the gradient need not be formed: with Δ = delta (m, n_l)
    and A = inputs (m, n_(l-1)),

        ||Δ^T A||² = trace(A^T Δ Δ^T A) = Σ_ij (Δ Δ^T)_ij (A A^T)_ij,

    two m x m Gram matrices, m² (n_l + n_(l-1)) multiplications instead of the
    gradient's m n_l n_(l-1), in delta's dtype (like the gradient itself), summed in
    float64. For larger batches the
    gradient is formed by one gemm, into ``scratch`` when it is an (n_l, n_(l-1))
    C-contiguous array of delta's dtype.
    """
    m, n_out = delta.shape
    n_in = inputs.shape[1]
    if gram_norm_is_cheaper(m, n_in, n_out):
        total = float(np.einsum("ij,ij->", _gram(delta), _gram(inputs), dtype=np.float64))
        return float(np.sqrt(max(total, 0.0)))  # rounding may leave -0.0 for a zero gradient
    usable = (scratch is not None and scratch.shape == (n_out, n_in) and scratch.dtype == delta.dtype
              and scratch.flags.c_contiguous)
    gradient = scratch if usable else np.empty((n_out, n_in), dtype=delta.dtype)
    bind_weight_gradient(delta, inputs, gradient)(1.0, 0.0)
    return norm(gradient)


def _gram(a: np.ndarray) -> np.ndarray:
    """a a^T, (m, n) -> (m, m), by SciPy's gemm (not NumPy's BLAS, see above)."""
    gemm = _routine("gemm", (a,))
    if gemm is None:
        return a @ a.T
    # F-order view a^T (n, m); op(A) = (a^T)^T = a, B = a^T: a a^T
    return gemm(1.0, a.T, a.T, trans_a=1)


def norm(x: np.ndarray) -> float:
    """The Euclidean (Frobenius, for a matrix) norm ||x||, by BLAS nrm2 for contiguous floats."""
    nrm2 = _routine("nrm2", (x,))
    if nrm2 is None:
        return float(np.linalg.norm(x))
    return float(nrm2(x.reshape(-1)))


def abs_sum(x: np.ndarray) -> float:
    """sum |x_i| over all elements: BLAS asum (threaded, one pass) for contiguous floats.

    NaN and inf propagate (a NaN or inf element makes the result NaN or inf), which is
    what the finite check of the training data relies on.
    """
    asum = _routine("asum", (x,)) if x.size < 2**31 else None  # BLAS counts in 32-bit ints
    if asum is None:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.abs(x).sum())
    return float(asum(x.reshape(-1)))

