"""Compiled one-pass update kernels (the optional ``fast`` extra: ``pip install "bprop[fast]"``).

An optimizer's NumPy step is the reference: it is the default, the fallback, and the tests'
oracle. NumPy evaluates a formula one elementwise pass at a time, so Adam's step is 12 passes
over every parameter; for 784-800-800-10 (1.28M float32 weights, 5 MB per array) that is
1.7 ms a step, 27% of a dropout-Adam epoch at batch 128. The kernel here does the same
arithmetic, operation for operation and rounding for rounding, in ONE pass (read w, g, m, v;
write w, m, v): 0.34 ms on the same machine (bench/recipes.py, recipe A).

Bit-identity with the NumPy step holds because both evaluate the same operations in the same
order in the parameter's dtype, with each constant rounded to that dtype once: numba compiles
without ``fastmath``, so there is no fused multiply-add and no reassociation, and IEEE division
and square root are correctly rounded in both. ``error_model="numpy"`` lets x / 0 give inf
(as NumPy does) instead of raising, which also lets LLVM vectorize the loop.

numba is imported when this module is, so import it only when a kernel is asked for
(``Adam(kernel="numba")``); ``require()`` turns a missing numba into an ImportError that says
how to install it.
"""

from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError as error:  # re-raised by require(), with the install line
    numba = None
    _IMPORT_ERROR = error
else:
    _IMPORT_ERROR = None


def require() -> None:
    """Raise ImportError naming the extra when numba is not installed."""
    if numba is None:
        detail = "" if _IMPORT_ERROR is None else f" ({_IMPORT_ERROR})"
        raise ImportError(f"kernel='numba' needs numba, which is not installed{detail}; "
                          f"install it with: pip install \"bprop[fast]\" (or use kernel='numpy')")


def _adam_update(w, g, m, v, one_minus_beta1, one_minus_beta2, step_size, eps_hat):
    """One Adam step of 1-D, C-contiguous arrays of one dtype, in place (``Adam.step``'s formulas):

        m -> m + (1 - beta1)(g - m)
        v -> v + (1 - beta2)(g g - v)
        w -> w - step_size m / (sqrt(v) + eps_hat)

    The scalars are rounded to w's dtype once, as NumPy rounds a Python float operand."""
    dtype = w.dtype.type
    a, b, s, e = dtype(one_minus_beta1), dtype(one_minus_beta2), dtype(step_size), dtype(eps_hat)
    for i in range(w.shape[0]):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * a
        vi = v[i] + (gi * gi - v[i]) * b
        m[i] = mi
        v[i] = vi
        w[i] -= mi / (np.sqrt(vi) + e) * s


def _compile(function):
    """``numba.njit(function)``, compiled per dtype on first use and cached on disk
    (``cache=True``: next to this file, else in NUMBA_CACHE_DIR or the user's cache folder).

    Where numba can write none of them (a read-only install run by a user without a writable
    home, NUMBA_CACHE_DIR unset), ``cache=True`` raises RuntimeError ("cannot cache function
    ...: no locator available"); the kernel is then compiled in each process instead."""
    options = dict(nogil=True, error_model="numpy")
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # no folder to cache in (raised when decorating; nothing is compiled yet)
        return numba.njit(**options)(function)


#: The compiled kernel (``_compile``); None without numba.
adam_update = None if numba is None else _compile(_adam_update)
