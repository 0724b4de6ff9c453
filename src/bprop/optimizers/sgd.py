"""Plain stochastic gradient descent (seed 001, eqs. 2-5 and 2-6)."""

from __future__ import annotations

from ..kernels import SGDStep, axpy
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
            axpy(param, grad, -eta)  # param -= eta * grad, in place

    def fused_step(self, regularizer, n):
        """The same update as one ``SGDStep`` the layers apply during backward.

        L2 folds in as weight decay: w - eta (dC_0/dw + (lambda/n) w) = (1 - eta lambda/n) w - eta dC_0/dw.
        Other regularizers need the stored gradient: None.
        """
        if regularizer is None:
            return SGDStep(self.eta, 1.0)
        decay = regularizer.decay_factor(self.eta, n)
        return None if decay is None else SGDStep(self.eta, decay)


OPTIMIZERS.register("sgd", SGD)
