"""Plain stochastic gradient descent (seed 001, eqs. 2-5 and 2-6)."""

from __future__ import annotations

from .base import OPTIMIZERS, Optimizer


class SGD(Optimizer):
    """w -> w - eta * dC/dw, b -> b - eta * dC/db.

    The gradients are those of the batch-mean cost, so this is the seeds'
    w -> w - (eta/m) Σ_x dC_x/dw over a mini-batch of m samples.
    """

    name = "sgd"

    def step(self, pairs):
        eta = self.eta
        for param, grad in pairs:
            param -= eta * grad


OPTIMIZERS.register("sgd", SGD)
