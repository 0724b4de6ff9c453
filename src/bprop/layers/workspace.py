"""Buffers a layer reuses from one training batch to the next.

A training step of a Dense layer needs z^l and a^l (m, n_l) in the forward
pass, and delta^l (m, n_l) and dC/da^(l-1) (m, n_(l-1)) in the backward pass.
Allocating them anew every batch costs a page-faulting ``malloc`` per array for
large batches and a few microseconds of NumPy bookkeeping for small ones, so
each layer keeps one array per name, sized for the largest batch seen, and
hands out views of its first m rows (a row slice of a C-ordered array is still
C-ordered, so BLAS takes it without a copy).

What a view holds is only valid until the next training batch overwrites it:
anything that keeps values across batches copies them.
"""

from __future__ import annotations

import numpy as np


class Workspace:
    """Named (rows, cols) arrays, grown on demand; ``get`` returns the first m rows."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, m: int, n: int, dtype: np.dtype) -> np.ndarray:
        """An uninitialized (m, n) array of ``dtype``, the same memory every call."""
        array = self._arrays.get(name)
        if array is None or array.shape[0] < m or array.shape[1] != n or array.dtype != dtype:
            array = self._arrays[name] = np.empty((m, n), dtype=dtype)
        return array if array.shape[0] == m else array[:m]

    def clear(self) -> None:
        """Free every buffer (a later ``get`` allocates again)."""
        self._arrays.clear()

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in self._arrays.values())

    def __deepcopy__(self, memo) -> "Workspace":
        return Workspace()  # buffers hold nothing worth copying
