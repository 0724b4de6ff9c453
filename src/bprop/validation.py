"""Input checks shared by the network, training and the command line.

Each check raises ``ValueError`` with a message that names the problem
(shape, dtype, NaN/inf, label range, emptiness, hyperparameter value) and
runs before anything is modified.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import kernels


def as_inputs(x, n_in: int, dtype, name: str = "x") -> np.ndarray:
    """Return ``x`` as a (m, n_in) array of ``dtype``, copying only if it must."""
    array = np.asarray(x)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim != 2:
        hint = " (for one sample use x.reshape(1, -1))" if array.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {array.shape}{hint}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no samples")
    if array.shape[1] != n_in:
        raise ValueError(f"{name} has {array.shape[1]} features but the network expects {n_in}")
    array = np.ascontiguousarray(array, dtype=dtype)
    _check_finite(array, name)
    return array


def _check_finite(array: np.ndarray, name: str) -> None:
    """Raise if ``array`` holds NaN or inf.

    NaN and inf always make sum |x| non-finite, so one summing pass clears finite
    data: BLAS asum on both cores, 3 ms for MNIST's 157 MB where NumPy's sum takes
    7 ms and an elementwise test 15 ms. Only a non-finite sum, which huge finite
    values can also give, runs the exact test.
    """
    if np.isfinite(kernels.abs_sum(array)):
        return
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        raise ValueError(f"{name} contains NaN or inf ({bad} values)")


def as_targets(y, n_samples: int, n_out: int, dtype, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Return (targets (m, n_out) of ``dtype``, labels (m,) int64) for ``y``.

    ``y`` is either class indices, shape (m,), in 0..n_out-1 (0 or 1 for a single
    output neuron), or targets, shape (m, n_out). For targets the labels are
    their argmax (or target > 0.5 for one output), used for accuracy.
    """
    array = np.asarray(y)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0 or array.ndim > 2:
        raise ValueError(f"{name} must be class indices (m,) or targets (m, {n_out}), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no samples")
    if array.shape[0] != n_samples:
        raise ValueError(f"x and {name} have different lengths: {n_samples} samples but {array.shape[0]} targets")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf")

    if array.ndim == 2 and not (n_out == 1 and array.shape[1] == 1):
        if array.shape[1] != n_out:
            raise ValueError(f"{name} has {array.shape[1]} target columns but the network has {n_out} outputs")
        targets = np.ascontiguousarray(array, dtype=dtype)
        labels = targets.argmax(axis=1) if n_out > 1 else (targets[:, 0] > 0.5).astype(np.int64)
        return targets, labels

    flat = array.reshape(-1)
    if n_out == 1:
        targets = np.ascontiguousarray(flat, dtype=dtype).reshape(-1, 1)
        return targets, (flat > 0.5).astype(np.int64)
    if not np.all(flat == np.round(flat)):
        raise ValueError(f"{name} as class indices must be whole numbers, got e.g. {flat[flat != np.round(flat)][0]!r}")
    labels = flat.astype(np.int64)
    low, high = labels.min(), labels.max()
    if low < 0 or high >= n_out:
        bad = low if low < 0 else high
        raise ValueError(
            f"class index {bad} in {name} is out of range: the network has {n_out} outputs, so classes are 0..{n_out - 1}"
        )
    targets = np.zeros((labels.size, n_out), dtype=dtype)
    targets[np.arange(labels.size), labels] = 1
    return targets, labels


def are_one_hot(targets: np.ndarray, labels: np.ndarray) -> bool:
    """True when every row of ``targets`` (m, n_out), n_out > 1, is the one-hot row of
    its label: a single 1 at column labels[i] and zeros elsewhere, as ``as_targets``
    makes them from class indices. (A single output neuron has labels 0/1 but no
    one-hot rows: target 0 is no column.)"""
    n, n_out = targets.shape
    return (n_out > 1 and np.count_nonzero(targets) == n
            and bool(np.all(targets[np.arange(n), labels] == 1)))


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def positive_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def float_dtype(dtype) -> np.dtype:
    """float32 or float64; anything else is refused with the valid choices."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return resolved
