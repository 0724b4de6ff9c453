"""Momentum-based gradient descent: classical momentum and Nesterov's accelerated gradient.

Each parameter w gets a velocity v (same shape, starting at 0), and with mu the
momentum coefficient ("friction": 0 is plain SGD, near 1 little friction):

    classical   v -> v' = mu v - eta dC/dw          w -> w + v'
    Nesterov    v -> v' = mu v - eta dC/dw          w -> w + mu v' - eta dC/dw

The Nesterov line is the usual rewriting (Bengio, Boulanger-Lewandowski and
Pascanu 2013; also what PyTorch and Keras do) of "take the gradient at the
look-ahead point w + mu v": it stores the look-ahead parameters themselves, so
the gradient backprop gives at the current parameters is the one needed.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..sinks import FusedMomentum
from .base import OPTIMIZERS, Optimizer


class Momentum(Optimizer):
    """Gradient descent with a velocity per parameter.

    Args:
        eta: learning rate, > 0.
        mu: momentum coefficient, 0 <= mu < 1 (default 0.9).
        nesterov: use Nesterov's look-ahead update.

    Attributes:
        velocities: one array per parameter, by position in ``step``'s pairs
            (created at the first step).
    """

    name = "momentum"

    def __init__(self, eta: float = 0.1, mu: float = 0.9, nesterov: bool = False):
        super().__init__(eta)
        if isinstance(mu, bool) or not isinstance(mu, numbers.Real) or not 0 <= mu < 1:
            raise ValueError(f"momentum coefficient mu must be in [0, 1), got {mu!r}")
        self.mu = float(mu)
        self.nesterov = bool(nesterov)
        if self.nesterov:
            self.name = "nesterov"
        self.velocities: list[np.ndarray] = []
        self._scratch: list[np.ndarray] = []  # work arrays, one per parameter (never saved)

    def step(self, pairs):
        """One update of every (parameter, gradient) pair, in place, allocating nothing: with a
        work array per parameter, 4 passes over its elements (classical) or 6 (Nesterov)."""
        if not self.velocities:
            self.velocities = [np.zeros_like(param) for param, _ in pairs]
        if len(self._scratch) != len(self.velocities):
            self._scratch = [np.empty_like(v) for v in self.velocities]
        # Python floats: NumPy casts them to a float32 parameter's dtype, where a NumPy float64
        # (an eta a schedule multiplied by one, say) would run every pass in float64 and cast back.
        eta, mu = float(self.eta), self.mu
        for (param, grad), v, work in zip(pairs, self.velocities, self._scratch):
            np.multiply(grad, eta, out=work)  # eta dC/dw, without a temporary
            v *= mu
            v -= work  # v' = mu v - eta dC/dw
            if self.nesterov:
                param -= work  # w - eta dC/dw ...
                np.multiply(v, mu, out=work)
                param += work  # ... + mu v'
            else:
                param += v  # w + v'

    def fused_sink(self, regularizer, n, params):
        """Classical momentum: ``sinks.FusedMomentum``, the velocity's update fused with BP3/BP4
        (one BLAS call per parameter, then w + v'). Nesterov needs dC/dw itself: None."""
        if self.nesterov:
            return None
        return FusedMomentum(self, params, regularizer, n)

    def parameter_state(self):
        return list(self.velocities)

    def state_dict(self):
        state = super().state_dict()
        state["mu"] = np.array(self.mu)
        for index, v in enumerate(self.velocities):
            state[f"v{index}"] = v
        return state

    state_scalars = {**Optimizer.state_scalars, "mu": ("fraction", 0.0, 1.0)}
    state_array_prefixes = ("v",)

    def apply_state(self, checked):
        super().apply_state(checked)
        self.velocities = [np.array(v) for v in checked["arrays"]["v"]]
        self._scratch = []

    def config(self):
        return {**super().config(), "mu": self.mu, "nesterov": self.nesterov}

    def __repr__(self):
        return f"{type(self).__name__}(eta={self.eta:g}, mu={self.mu:g}, nesterov={self.nesterov})"


def nesterov(eta: float = 0.1, mu: float = 0.9) -> Momentum:
    """Momentum with Nesterov's update."""
    return Momentum(eta, mu, nesterov=True)


OPTIMIZERS.register("momentum", Momentum, aliases=("classical_momentum",))
OPTIMIZERS.register("nesterov", nesterov, aliases=("nag",))
