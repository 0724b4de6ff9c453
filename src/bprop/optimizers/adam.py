"""Adam (Kingma and Ba 2015): per-parameter step sizes from running gradient moments.

For each parameter w with gradient g = dC/dw, at step t = 1, 2, ...:

    m -> beta1 m + (1 - beta1) g                 running mean of g
    v -> beta2 v + (1 - beta2) g²                running mean of g² (elementwise)
    m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)     bias corrections (m, v start at 0)
    w -> w - eta m_hat / (sqrt(v_hat) + epsilon)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .base import OPTIMIZERS, Optimizer


class Adam(Optimizer):
    """Adam.

    Args:
        eta: learning rate (default 0.001).
        beta1, beta2: decay rates of the moment estimates, in [0, 1) (defaults 0.9, 0.999).
        epsilon: added to sqrt(v_hat) to avoid dividing by 0 (default 1e-8).
        kernel: how ``step`` computes the update, one of ``KERNELS``: "numpy" (default; NumPy
            ufuncs, 12 passes over each parameter) or "numba" (``optimizers.compiled``: the same
            operations in one compiled pass, bit-identical, 2.4-5x faster a step;
            needs the ``fast`` extra, ``pip install "bprop[fast]"``). The first step of each
            dtype compiles the kernel (about 1 s, then cached on disk). Not part of the
            state or config: it changes the speed, not the numbers.

    Raises:
        ValueError: a hyperparameter out of range, or an unknown kernel (the valid ones named).
        ImportError: kernel="numba" without numba installed (the message gives the install line).

    Attributes:
        t: the number of steps taken.
        m, v: first and second moments, one array per parameter, by position.
    """

    name = "adam"
    #: The implementations of ``step`` (see ``kernel`` above).
    KERNELS = ("numpy", "numba")

    def __init__(self, eta: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                 kernel: str = "numpy"):
        super().__init__(eta)
        for label, value in (("beta1", beta1), ("beta2", beta2)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
                raise ValueError(f"Adam {label} must be in [0, 1), got {value!r}")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
            raise ValueError(f"Adam epsilon must be positive, got {epsilon!r}")
        self.kernel = kernel  # checked (see the property)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self.t = 0
        self.m: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self._scratch: list[np.ndarray | None] = []  # the NumPy passes' work arrays (not state: never saved)

    @property
    def kernel(self) -> str:
        """The implementation of ``step``, one of ``KERNELS`` (settable; checked when set)."""
        return self._kernel

    @kernel.setter
    def kernel(self, kernel: str) -> None:
        if not isinstance(kernel, str) or kernel not in self.KERNELS:
            raise ValueError(f"unknown Adam kernel {kernel!r}; valid kernels are: {', '.join(self.KERNELS)}")
        if kernel == "numba":
            from . import compiled

            compiled.require()
        self._kernel = kernel

    def step(self, pairs):
        """One Adam update of every (parameter, gradient) pair, in place.

        Each parameter takes 12 passes over its elements and allocates nothing (a work array
        per parameter is kept): m += (1 - beta1)(g - m), v += (1 - beta2)(g² - v), then
        w -= step_size m / (sqrt(v) + eps_hat). The NumPy expressions of the formulas above
        made six temporaries per parameter; for a 784-800-800-10 network the step took 16 ms,
        then 5 ms (measured in one process, alternating).

        The scalars are Python floats, so a float32 parameter is updated in float32 arithmetic
        (NumPy casts a Python float to the array's dtype). A NumPy float64 scalar promotes the
        pass to float64 and casts back: step_size and eps_hat, once float64 from ``np.sqrt``, made
        each of their two passes take 0.4 ms instead of 0.05 ms; the 784-800-800-10 float32 step
        went from 2.1 to 1.4 ms. A float64 network's arithmetic is unchanged (bit for bit).

        With ``kernel="numba"`` each parameter whose arrays are C-contiguous and of one dtype
        takes the compiled pass instead (the same operations, so the same bits); any other
        parameter takes the NumPy passes."""
        if not self.m:
            self.m = [np.zeros_like(param) for param, _ in pairs]
            self.v = [np.zeros_like(param) for param, _ in pairs]
        compiled_update = None
        if self.kernel == "numba":
            from .compiled import adam_update as compiled_update
        self.t += 1
        beta1, beta2 = self.beta1, self.beta2
        # eta m_hat / (sqrt(v_hat) + eps) = step_size m / (sqrt(v) + eps sqrt(1 - beta2^t))
        correction2 = math.sqrt(1 - beta2**self.t)
        step_size = float(self.eta) * correction2 / (1 - beta1**self.t)
        eps_hat = self.epsilon * correction2
        for index, ((param, grad), m, v) in enumerate(zip(pairs, self.m, self.v)):
            if compiled_update is not None and _one_contiguous_dtype(param, grad, m, v):
                compiled_update(param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1),
                                1 - beta1, 1 - beta2, step_size, eps_hat)
                continue
            work = self._work(index)
            np.subtract(grad, m, out=work)  # m -> beta1 m + (1 - beta1) g = m + (1 - beta1)(g - m)
            work *= 1 - beta1
            m += work
            np.multiply(grad, grad, out=work)  # v -> v + (1 - beta2)(g² - v)
            work -= v
            work *= 1 - beta2
            v += work
            np.sqrt(v, out=work)  # w -> w - step_size m / (sqrt(v) + eps_hat)
            work += eps_hat
            np.divide(m, work, out=work)
            work *= step_size
            param -= work

    def _work(self, index):
        """The NumPy passes' work array of parameter ``index`` (made on first use)."""
        if len(self._scratch) != len(self.m):
            self._scratch = [None] * len(self.m)
        if self._scratch[index] is None:
            self._scratch[index] = np.empty_like(self.m[index])
        return self._scratch[index]

    def parameter_state(self):
        return list(self.m)  # v has the same shapes

    def state_dict(self):
        state = super().state_dict()
        state["t"] = np.array(self.t, dtype=np.int64)
        for name in ("beta1", "beta2", "epsilon"):
            state[name] = np.array(getattr(self, name))
        for index, (m, v) in enumerate(zip(self.m, self.v)):
            state[f"m{index}"] = m
            state[f"v{index}"] = v
        return state

    state_scalars = {**Optimizer.state_scalars, "t": ("int", 0, None), "beta1": ("fraction", 0.0, 1.0),
                     "beta2": ("fraction", 0.0, 1.0), "epsilon": ("number", 0.0, None)}
    state_array_prefixes = ("m", "v")

    def check_state(self, state, params=None):
        """As ``Optimizer.check_state``; also m and v come in pairs and v (a mean of g²) is >= 0."""
        checked = super().check_state(state, params)
        m, v = checked["arrays"]["m"], checked["arrays"]["v"]
        if len(m) != len(v):
            raise ValueError(f"Adam state has {len(m)} m arrays but {len(v)} v arrays")
        if any(a.shape != b.shape for a, b in zip(m, v)):
            raise ValueError("Adam state: each m array must have the shape of its v array")
        if any(np.any(a < 0) for a in v):
            raise ValueError("Adam state: v, a running mean of squared gradients, holds negative values")
        if m and checked["scalars"]["t"] == 0:
            raise ValueError("Adam state has moment arrays but t = 0 steps")
        return checked

    def apply_state(self, checked):
        super().apply_state(checked)
        # C-ordered copies, as the parameters are: the compiled kernel takes only those
        self.m = [np.array(a, order="C") for a in checked["arrays"]["m"]]
        self.v = [np.array(a, order="C") for a in checked["arrays"]["v"]]
        self._scratch = []

    def config(self):
        return {**super().config(), "beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}

    def __repr__(self):
        kernel = "" if self.kernel == "numpy" else f", kernel={self.kernel!r}"
        return f"Adam(eta={self.eta:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, epsilon={self.epsilon:g}{kernel})"


def _one_contiguous_dtype(*arrays) -> bool:
    """True when every array is C-contiguous and all share the first one's dtype (the compiled
    kernel's arrays are flat views of them)."""
    dtype = arrays[0].dtype
    return all(a.flags.c_contiguous and a.dtype == dtype for a in arrays)


OPTIMIZERS.register("adam", Adam)
