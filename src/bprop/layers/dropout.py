"""Inverted dropout (seed 002, "弃权": drop hidden neurons at random while training).

During training each activation a_j of the layer below is kept with
probability q = 1 - p and multiplied by 1/q, or dropped (set to 0):

    forward   out = a ⊙ r / q          r_j ~ Bernoulli(q), one draw per sample and neuron
    backward  dC/da = dC/d(out) ⊙ r / q

Scaling by 1/q while training ("inverted" dropout) keeps the expected input of
the next layer unchanged, so at evaluation the layer is the identity and the
network needs no rescaling. The masks come from the network's generator
``net.rng``, so a seeded run, and a resumed one, draws the same masks.

A training pass allocates nothing: the mask, the output and dC/da go into buffers the
layer reuses from batch to batch (``Workspace``), and the uniform draws are written
straight into the mask's buffer, so ``mask``, the returned output and the returned
gradient are overwritten by the next training batch (anything kept across batches is
copied). The draws are those ``rng.random(shape)`` makes (float32 for a float32 input,
else float64), in the same order, so a seed gives the same masks as ever.

``freeze(mask)`` fixes the mask (e.g. the one of the last training pass) so the
training forward pass becomes a deterministic function of the weights, which is
what gradcheck's finite differences need.
"""

from __future__ import annotations

import numpy as np

from .base import Layer
from .workspace import Workspace


class Dropout(Layer):
    """Drop each input with probability ``p`` while training; identity at evaluation.

    Args:
        p: the drop probability, 0 <= p < 1.

    Shape: (m, n) -> (m, n).

    Attributes:
        mask: r / q of the last training forward pass, (m, n), or None.
    """

    def __init__(self, p: float):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng: np.random.Generator | None = None
        self.mask: np.ndarray | None = None
        self.frozen = False
        self.dtype: np.dtype | None = None
        self._work = Workspace()

    def build(self, n_in, rng, dtype):
        self.rng = rng  # the network's own generator, shared, not a copy
        self.dtype = np.dtype(dtype)
        return super().build(n_in, rng, dtype)

    def forward(self, x, training=False):
        if not training or self.p == 0:
            return x
        if not self.frozen:
            if self.rng is None:
                raise RuntimeError("Dropout must be built inside a Network before training")
            keep = 1.0 - self.p
            # r / q: 1/q where the neuron is kept (uniform draw < q), 0 where it is dropped,
            # in place in the draws' buffer: 3 passes, no temporary.
            m, n = x.shape
            draw_dtype = np.float32 if x.dtype == np.float32 else np.float64
            draws = self._work.get("draws", m, n, draw_dtype)
            self.rng.random(dtype=draw_dtype, out=draws)
            np.less(draws, keep, out=draws)  # 1.0 or 0.0 (the comparison in the draws' dtype)
            if draws.dtype == x.dtype:
                mask = draws
            else:
                mask = self._work.get("mask", m, n, x.dtype)
                np.copyto(mask, draws)
            mask *= x.dtype.type(1.0 / keep)
            self.mask = mask
        elif self.mask is None or self.mask.shape != x.shape:
            raise ValueError(f"frozen dropout mask has shape {None if self.mask is None else self.mask.shape}, input {x.shape}")
        # Into a reused buffer: the layer above binds its products to this array (``Dense``'s plan).
        return np.multiply(x, self.mask, out=self._work.get("out", x.shape[0], x.shape[1], x.dtype))

    def backward(self, grad_output, sink, need_input_grad=True):
        """dC/da = dC/d(out) ⊙ r / q (the dropped neurons get no gradient)."""
        if not need_input_grad:
            return None
        if self.p == 0:
            return grad_output
        if self.mask is None:
            raise RuntimeError("backward needs a forward pass with training=True first")
        return np.multiply(grad_output, self.mask, out=self._work.get("grad", *grad_output.shape, grad_output.dtype))

    def freeze(self, mask: np.ndarray | None = None) -> None:
        """Reuse ``mask`` (default: the last one drawn) in every training forward pass."""
        if mask is not None:
            self.mask = np.array(mask, dtype=self.dtype)
        self.frozen = True

    def unfreeze(self) -> None:
        self.frozen = False

    def astype(self, dtype):
        self.dtype = np.dtype(dtype)
        if self.mask is not None:
            self.mask = self.mask.astype(dtype)

    def clear_cache(self):
        """Free the training buffers and forget the mask (unless frozen: a frozen mask is kept)."""
        self._work.clear()
        if not self.frozen:
            self.mask = None

    def config(self):
        return {"type": "dropout", "p": self.p}

    def __repr__(self):
        return f"Dropout(p={self.p:g})"
