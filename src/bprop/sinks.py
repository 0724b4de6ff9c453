"""Where backprop's gradients go: the sink a layer's backward pass hands them to.

BP3 and BP4 give, for every layer l, dC/db^l = Σ_x delta^l and dC/dw^l = (Δ^l)^T A^(l-1).
What happens to them depends on who asked for the backward pass, so ``Layer.backward``
does not decide: it hands each parameter's gradient to a *sink* as a ``Gradient``, an
object that can compute it in two ways with the same BLAS call (``kernels.bind_*``):

    gradient.to_buffer(1, 0)       the buffer layer.grads[name] <- dC/dθ
    gradient.to_param(-eta, d)     the parameter θ <- d θ - eta dC/dθ

and the sink picks one:

    StoreGradients   stores every gradient, then adds the regularizer's term to dC/dw
                     (``Network.backprop``, gradcheck, explain, every optimizer but plain SGD)
    FusedSGD         applies plain SGD (seed 001, eq. 2-5) inside backward, BP4 fused with
                     the update, L2 as the weight decay d = 1 - eta lambda / n: nothing stored
    NormSampler      wraps either and records ||dC_0/dw^l|| and ||dC/db^l|| of the batch; it
                     reads, never writes, so training with it gives the same weights bit for bit

A layer calls ``sink.take(gradient)`` for each parameter after BP2's product with w^l (which
needs w^l as it was in the forward pass), and the network calls ``sink.finish()`` once the
whole stack is done. A sink is any object with those two methods and a ``stores`` flag
(True when ``layer.grads`` hold the gradients afterwards).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import kernels


class Gradient:
    """dC/dθ of one parameter θ of one layer, for the batch of the last forward pass, not yet
    computed: two bound BLAS calls that compute it, of which the sink calls one.

    Attributes:
        to_buffer(alpha, beta): buffer <- alpha dC/dθ + beta buffer, where buffer is
            layer.grads[name]; (1, 0) stores the gradient.
        to_param(alpha, beta): θ <- alpha dC/dθ + beta θ; (-eta, decay) is the plain SGD step
            fused with BP3/BP4 (``kernels.bind_weight_gradient``, ``bind_bias_gradient``).
        layer: the layer; name: the parameter's name ("weights", "biases").
        param: θ itself; buffer: layer.grads[name], same shape.
        trainable: the optimizer may change θ (False: biases fixed by ``train_biases=False``).
        regularized: the regularizer's term applies to θ (the weights, never the biases).
    """

    __slots__ = ("layer", "name", "param", "buffer", "trainable", "regularized", "to_buffer", "to_param", "_norm")

    def __init__(self, layer, name: str, param: np.ndarray, buffer: np.ndarray,
                 to_buffer: Callable[[float, float], None], to_param: Callable[[float, float], None],
                 norm: Callable[[], float], *, trainable: bool, regularized: bool):
        self.layer, self.name, self.param, self.buffer = layer, name, param, buffer
        self.trainable, self.regularized = trainable, regularized
        self.to_buffer, self.to_param, self._norm = to_buffer, to_param, norm

    def norm(self) -> float:
        """||dC/dθ|| (Frobenius) from its factors, delta^l and a^(l-1), without storing it in the
        buffer's place for an optimizer or changing θ (``kernels.weight_gradient_norm``: Gram
        matrices for small batches; else formed in the buffer, which holds nothing then)."""
        return self._norm()

    def __repr__(self) -> str:
        return f"Gradient({self.layer!r}, {self.name!r}, shape={self.param.shape})"


class StoreGradients:
    """Store every gradient in its layer's ``grads``; at the end add the regularizer's term.

    Args:
        regularizer: None or a ``regularizers.Regularizer``: ``finish`` adds
            d(penalty)/dw to each stored dC_0/dw (seed 002), with
        n: the training-set size (or Σ w_x with sample weights) in lambda / n.
    """

    #: layer.grads hold dC/dθ after ``take``
    stores = True

    def __init__(self, regularizer=None, n: float | None = None):
        if regularizer is not None and n is None:
            raise ValueError("the regularizer's gradient needs n, the training-set size")
        self.regularizer, self.n = regularizer, n
        self._regularized: list[Gradient] = []

    def take(self, gradient: Gradient) -> None:
        gradient.to_buffer(1.0, 0.0)
        if self.regularizer is not None and gradient.regularized:
            self._regularized.append(gradient)

    def finish(self) -> None:
        for gradient in self._regularized:
            self.regularizer.add_gradient(gradient.param, gradient.buffer, self.n)
        self._regularized.clear()


class FusedSGD:
    """Plain SGD applied during backward: θ <- decay θ - eta dC/dθ for every trainable θ, in the
    BLAS call that computes dC/dθ (``kernels.bind_weight_gradient``); no gradient is stored.

    Args:
        eta: the learning rate (> 0).
        decay: the factor on the old weights, 1 - eta lambda / n for L2 (biases: always 1).
    """

    stores = False

    def __init__(self, eta: float, decay: float = 1.0):
        self.eta, self.decay = float(eta), float(decay)
        self._alpha = -self.eta

    @classmethod
    def from_step(cls, step: kernels.SGDStep) -> "FusedSGD":
        return cls(step.eta, step.decay)

    def take(self, gradient: Gradient) -> None:
        if gradient.trainable:
            gradient.to_param(self._alpha, self.decay if gradient.regularized else 1.0)

    def finish(self) -> None:
        pass


class NormSampler:
    """Wraps a sink; on an ``active`` pass, records each layer's (||dC_0/dw^l||, ||dC/db^l||).

    The norms are of the data cost's gradients (no regularizer term: they are read before the
    inner sink's ``finish``). Reading them never changes what the inner sink computes, so
    training with or without sampling gives bit-identical weights.

    Attributes:
        inner: the wrapped sink; stores: the inner sink's.
        active: sample the passes (default True); the trainer wraps only sampled batches.
        norms: [(weight norm, bias norm)] per weight layer, in layer order, of the last
            active pass (complete once its ``finish`` ran).
    """

    def __init__(self, inner, active: bool = True):
        self.inner = inner
        self.stores = inner.stores
        self.active = active
        self.norms: list[tuple[float, float]] = []
        self._pass: list[tuple[float, float]] = []  # filled from layer L down to 1
        self._pending: dict[str, float] = {}  # the layer's first parameter seen, until its second

    def take(self, gradient: Gradient) -> None:
        self.inner.take(gradient)
        if self.active:
            self._pending[gradient.name] = kernels.norm(gradient.buffer) if self.stores else gradient.norm()
            if len(self._pending) == 2:  # a Dense layer's weights and biases, in either order
                self._pass.append((self._pending.pop("weights"), self._pending.pop("biases")))

    def finish(self) -> None:
        self.inner.finish()
        if self.active:
            self.norms = self._pass[::-1]
        self._pass, self._pending = [], {}
