"""Check backprop against central finite differences, in float64.

For every weight and bias p the finite-difference estimate is

    dC/dp ≈ (C(p + eps) - C(p - eps)) / (2 eps)

which costs two forward passes per parameter: 2P passes for P parameters
(forward differences, as seed 001 counts them, need P + 1). Backprop gets all
P derivatives from one forward and one backward pass. ``gradcheck`` measures
both routes and compares them parameter array by parameter array with the
relative error

    ||g_backprop - g_fd|| / (||g_backprop|| + ||g_fd||)

(0 when both are zero), the usual measure, which stays meaningful when single
entries are zero or tiny.

The cost checked is the network's whole cost C = C_0 + penalty (seed 002's
regularization term, if any). Dropout makes the training forward pass random,
so the check draws one mask per Dropout layer in its backprop pass, freezes it
(``Dropout.freeze``), and differentiates that fixed sub-network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class ParameterCheck:
    """The comparison for one parameter array, e.g. w^2."""

    layer: int  # l = 1..L, the weight layer
    name: str  # "weights" or "biases"
    shape: tuple
    relative_error: float
    max_abs_error: float


@dataclass
class GradcheckReport:
    checks: list[ParameterCheck]
    n_params: int
    forward_passes: int  # forward passes the finite differences took
    fd_seconds: float
    backprop_seconds: float
    eps: float
    batch_size: int
    notes: list[str] = field(default_factory=list)

    @property
    def max_relative_error(self) -> float:
        return max(check.relative_error for check in self.checks)

    def per_layer(self) -> dict[int, float]:
        """Largest relative error of each weight layer (weights and biases)."""
        worst: dict[int, float] = {}
        for check in self.checks:
            worst[check.layer] = max(worst.get(check.layer, 0.0), check.relative_error)
        return worst

    def passed(self, tolerance: float = 1e-6) -> bool:
        return self.max_relative_error < tolerance

    @property
    def speedup(self) -> float:
        """How many times longer the finite differences took than backprop."""
        return self.fd_seconds / max(self.backprop_seconds, 1e-12)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def numerical_gradients(objective, params: list[np.ndarray], eps: float) -> list[np.ndarray]:
    """Central differences of ``objective()`` w.r.t. each array in ``params`` (changed in place, restored)."""
    result = []
    for param in params:
        grad = np.zeros_like(param)
        flat, flat_grad = param.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            flat_grad[i] = (plus - minus) / (2 * eps)
        result.append(grad)
    return result


def gradcheck(net, x, y, eps: float = 1e-6) -> GradcheckReport:
    """Compare ``net.backprop`` with central differences on a float64 copy of ``net``.

    Args:
        net: the network (not modified: the check runs on a float64 copy).
        x: inputs (m, n_0); y: class indices (m,) or targets (m, n_L).
        eps: the finite-difference step, a positive finite number.
    Returns:
        a GradcheckReport with one ParameterCheck per weight matrix and bias vector,
        the number of forward passes and the time each route took.
    Raises:
        ValueError: eps is not a positive finite number, or x, y do not fit the network.
    """
    from .layers import Dropout
    from .sinks import StoreGradients
    from .validation import positive_float

    eps = positive_float("eps", eps)  # 0 divides by zero; NaN, inf or a negative step measure nothing
    work = net.copy(dtype="float64")
    x, targets, _ = work.prepare(x, y)
    dropouts = [layer for layer in work.layers if isinstance(layer, Dropout) and layer.p > 0]
    m = x.shape[0]
    # lambda / n with n the training-set size fit recorded, else this batch's size
    n = None if work.regularizer is None else (work.regularizer.n or m)

    # Time backprop's one forward and one backward pass (the network's own, storing the
    # gradients with the regularizer's term): a warm-up call first (it loads the BLAS),
    # then the best of three.
    sink = StoreGradients(work.regularizer, n)
    work.backprop_prepared(x, targets, sink)
    backprop_seconds = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work.backprop_prepared(x, targets, sink)
        backprop_seconds = min(backprop_seconds, time.perf_counter() - started)
    for layer in dropouts:
        layer.freeze()  # the masks of the last backprop pass (whose gradients are compared), reused by every finite difference
    work.clear_caches()
    notes = [f"dropout masks frozen in {len(dropouts)} layer(s)"] if dropouts else []

    dense = work.dense_layers
    names = ("weights", "biases")
    analytic = [layer.grads[name].copy() for layer in dense for name in names]
    params = [layer.params[name] for layer in dense for name in names]

    def objective() -> float:
        cost = work.head.value(work.forward_logits(x, training=bool(dropouts)), targets)
        if work.regularizer is not None:
            cost += work.penalty(n)
        return cost

    started = time.perf_counter()
    numeric = numerical_gradients(objective, params, eps)
    fd_seconds = time.perf_counter() - started

    checks = []
    for index, (a, b) in enumerate(zip(analytic, numeric)):
        layer, name = divmod(index, 2)
        checks.append(
            ParameterCheck(
                layer=layer + 1,
                name=names[name],
                shape=a.shape,
                relative_error=relative_error(a, b),
                max_abs_error=float(np.max(np.abs(a - b))),
            )
        )
    n_params = sum(p.size for p in params)
    return GradcheckReport(
        checks=checks,
        n_params=n_params,
        forward_passes=2 * n_params,
        fd_seconds=fd_seconds,
        backprop_seconds=backprop_seconds,
        eps=eps,
        batch_size=x.shape[0],
        notes=notes,
    )
