"""Input checks shared by the network, training and the command line.

Each check raises ``ValueError`` with a message that names the problem
(shape, dtype, NaN/inf, label range, emptiness, hyperparameter value) and
runs before anything is modified.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import kernels
from .state_dicts import parameter_bound


def as_array(value, name: str) -> np.ndarray:
    """``np.asarray(value)`` for numeric data: real numbers or booleans, never cast silently.

    Raises ValueError for ragged nested lists (see ``as_nested``), complex values
    (NumPy would drop the imaginary part with only a ComplexWarning) and anything
    that is not numbers (text, objects).
    """
    array = as_nested(value, name)
    if np.iscomplexobj(array):
        raise ValueError(f"{name} holds complex numbers (dtype {array.dtype}); bprop works on real numbers: "
                         f"pass {name}.real or np.abs({name}) if that is what you mean")
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    return array


def as_nested(value, name: str) -> np.ndarray:
    """``np.asarray(value)``, with a clear error for a ragged nested list ("x is ragged:
    row 1 has 2 values but row 0 has 4") instead of NumPy's inhomogeneous-shape one."""
    try:
        array = np.asarray(value)
    except ValueError:
        array = None
    if array is None or (array.dtype == object and _ragged_detail(value) != _UNKNOWN_RAGGEDNESS):
        raise ValueError(f"{name} is ragged: {_ragged_detail(value)}; every row must have the same length")
    return array


_UNKNOWN_RAGGEDNESS = "nested sequences of different shapes"


def _ragged_detail(value) -> str:
    """Where a nested list is ragged: 'row 1 has 2 values but row 0 has 4'.

    Only rows that are lists, tuples or arrays count (strings are labels, not rows)."""
    sequences = (list, tuple, np.ndarray)
    try:
        rows = list(value)
    except TypeError:
        return _UNKNOWN_RAGGEDNESS
    if not rows or not all(isinstance(row, sequences) for row in rows):
        return _UNKNOWN_RAGGEDNESS
    lengths = [len(row) for row in rows]
    for index, length in enumerate(lengths):
        if length != lengths[0]:
            return f"row {index} has {length} values but row 0 has {lengths[0]}"
    return _UNKNOWN_RAGGEDNESS


def as_inputs(x, n_in: int, dtype, name: str = "x") -> np.ndarray:
    """Return ``x`` as a (m, n_in) array of ``dtype``, copying only if it must.

    Raises ValueError (before anything is changed) for ragged lists, complex or
    non-numeric values, a shape other than (m, n_in), no samples, and NaN or inf.
    """
    array = as_array(x, name)
    if array.ndim != 2:
        hint = " (for one sample use x.reshape(1, -1))" if array.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {array.shape}{hint}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no samples")
    if array.shape[1] != n_in:
        raise ValueError(f"{name} has {array.shape[1]} features but the network expects {n_in}")
    given = array
    with np.errstate(over="ignore"):  # a finite value beyond float32's range: named below
        array = np.ascontiguousarray(array, dtype=dtype)
    if not all_finite(array):  # one BLAS pass for finite data (see _check_finite)
        _check_range(given, array.dtype, name)
        _check_finite(array, name)
    return array


def _check_range(given: np.ndarray, dtype: np.dtype, name: str) -> None:
    """Raise when finite values of ``given`` became inf in ``dtype`` (only run on failure)."""
    if np.issubdtype(given.dtype, np.floating) and bool(np.isfinite(given).all()):
        largest = float(np.abs(given).max())
        raise ValueError(f"{name} has values too large for {dtype} (|{name}| up to {largest:.3g}; "
                         f"the largest {dtype} is {float(np.finfo(dtype).max):.3g}): scale the data, "
                         "or use dtype='float64'")


def _check_finite(array: np.ndarray, name: str) -> None:
    """Raise if ``array`` holds NaN or inf.

    NaN and inf always make sum |x| non-finite, so one summing pass clears finite
    data: BLAS asum on both cores, 3 ms for MNIST's 157 MB where NumPy's sum takes
    7 ms and an elementwise test 15 ms. Only a non-finite sum, which huge finite
    values can also give, runs the exact test.
    """
    if all_finite(array):
        return
    bad = int(np.count_nonzero(~np.isfinite(array)))
    raise ValueError(f"{name} contains NaN or inf ({bad} values)")


def all_finite(array: np.ndarray) -> bool:
    """True when ``array`` holds no NaN or inf (see ``_check_finite`` for the fast path)."""
    return bool(np.isfinite(kernels.abs_sum(array))) or bool(np.isfinite(array).all())


def first_unsafe_parameter(net) -> tuple[str, float] | None:
    """(name, value) of the first weight or bias of ``net`` holding NaN, inf or a magnitude
    above sqrt(finfo(dtype).max) (1.84e19 in float32), else None.

    Those are the values a model or checkpoint reader refuses (``state_dicts.check_parameter_values``:
    a forward pass could overflow), so training counts them as divergence and ``Network.save``
    and checkpoints refuse them: nothing is written that could not be read back.

    The name counts weight layers from 1, as printed everywhere: "w^2 (net.weights[1])".
    One BLAS pass per array (``kernels.abs_sum``) when every value is safe: sum |w| <= the bound
    bounds every |w|, and a NaN or inf makes the sum NaN or inf.
    """
    for l, layer in enumerate(net.dense_layers, start=1):
        for name, value in layer.params.items():
            if not value.size:
                continue
            bound = parameter_bound(value.dtype)
            if kernels.abs_sum(value) <= bound:
                continue
            finite = np.isfinite(value)
            if finite.all():
                largest = int(np.argmax(np.abs(value)))
                if abs(float(value.flat[largest])) <= bound:
                    continue  # many large values, none beyond the bound
                bad = value.flat[largest]
            else:
                bad = value[~finite].flat[0]
            symbol = "w" if name == "weights" else "b"
            return f"{symbol}^{l} (net.{name}[{l - 1}])", float(bad)
    return None


def are_one_hot(targets: np.ndarray, labels: np.ndarray) -> bool:
    """True when every row of ``targets`` (m, n_out), n_out > 1, is the one-hot row of
    its label: a single 1 at column labels[i] and zeros elsewhere, as ``tasks.Task.targets``
    makes them from class labels. (A single output neuron has labels 0/1 but no
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


def flag(name: str, value) -> bool:
    """A yes/no option: True, False (NumPy's booleans, 0 and 1 too); not a string or 2."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


def non_negative_int(name: str, value) -> int:
    """An integer >= 0 (not a bool), e.g. a seed or a count that may be 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def seed_value(value, name: str = "seed") -> int | None:
    """A random seed: None (fresh entropy) or a non-negative integer."""
    return None if value is None else non_negative_int(name, value)


#: The floating-point types a network computes in.
FLOAT_DTYPES = ("float32", "float64")


def float_dtype(dtype) -> np.dtype:
    """float32 or float64; anything else is refused with the valid choices.

    (None is refused too: ``np.dtype(None)`` would silently mean float64.)
    """
    resolved = None
    if dtype is not None:
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            pass
    if resolved is None or resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be {' or '.join(FLOAT_DTYPES)}, got {dtype!r}")
    return resolved
