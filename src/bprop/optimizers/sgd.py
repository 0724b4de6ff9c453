"""Plain stochastic gradient descent (seed 001, eqs. 2-5 and 2-6)."""

from __future__ import annotations

import numpy as np

from ..sinks import FusedSGD
from .base import OPTIMIZERS, Optimizer


class SGD(Optimizer):
    """w -> w - eta * dC/dw, b -> b - eta * dC/db.

    The gradients are those of the batch-mean cost, so this is the seeds'
    w -> w - (eta/m) Σ_x dC_x/dw over a mini-batch of m samples.
    """

    name = "sgd"

    def __init__(self, eta: float = 0.1):
        super().__init__(eta)
        self._scaled = np.empty(0)  # holds eta * dC/dw, reused from step to step

    def step(self, pairs):
        # eta * grad goes into a reused buffer, then param -= it: no weight-sized temporary
        # per step (NumPy's param -= eta * grad makes one). Not BLAS axpy: OpenBLAS spreads
        # a large axpy over both cores, and waking its worker thread on every sampled-norm
        # batch kept it spinning on the second core through the whole epoch (+5% at batch 10).
        eta = self.eta
        for param, grad in pairs:
            scaled = self._buffer(grad)
            np.multiply(grad, eta, out=scaled)
            param -= scaled

    def _buffer(self, like: np.ndarray) -> np.ndarray:
        if self._scaled.size < like.size or self._scaled.dtype != like.dtype:
            self._scaled = np.empty(like.size, dtype=like.dtype)
        return self._scaled[: like.size].reshape(like.shape)

    def fused_sink(self, regularizer, n, params):
        """``sinks.FusedSGD``: the same update applied during backward, one BLAS call per parameter.

        L2 folds in as weight decay: w - eta (dC_0/dw + (lambda/n) w) = (1 - eta lambda/n) w - eta dC_0/dw.
        Other regularizers need the stored gradient: None.
        """
        if regularizer is None:
            return FusedSGD(self.eta, 1.0)
        decay = regularizer.decay_factor(self.eta, n)
        return None if decay is None else FusedSGD(self.eta, decay)


OPTIMIZERS.register("sgd", SGD)
