"""Where backprop's gradients go: the sink a layer's backward pass hands them to.

BP3 and BP4 give, for every layer l, dC/db^l = Σ_x delta^l and dC/dw^l = (Δ^l)^T A^(l-1).
What happens to them depends on who asked for the backward pass, so ``Layer.backward``
does not decide: it hands each parameter's gradient to a *sink* as a ``Gradient``, an
object that can compute it in two ways with the same BLAS call (``kernels.bind_*``):

    gradient.to_buffer(1, 0)       the buffer layer.grads[name] <- dC/dθ
    gradient.to_param(-eta, d)     the parameter θ <- d θ - eta dC/dθ

and the sink picks one:

    StoreGradients   stores every gradient, then adds the regularizer's term to dC/dw
                     (``Network.backprop``, gradcheck, explain, Adam, Nesterov)
    FusedSGD         applies plain SGD (seed 001, eq. 2-5) inside backward, BP4 fused with
                     the update, L2 as the weight decay d = 1 - eta lambda / n: nothing stored
    FusedMomentum    the same for classical momentum: BP4 fused with the velocity's update
    NormSampler      wraps any of them and records ||dC_0/dw^l|| and ||dC/db^l|| of the batch; it
                     reads, never writes, so training with it gives the same weights bit for bit

A layer calls ``sink.take(gradient)`` for each parameter after BP2's product with w^l (which
needs w^l as it was in the forward pass), and the network calls ``sink.finish()`` once the
whole stack is done. A sink is any object with those two methods and a ``stores`` flag
(True when ``layer.grads`` hold the gradients afterwards).
"""

from __future__ import annotations

import math
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
        bind(target): the same call into another array (``FusedMomentum``'s velocities).
        layer: the layer; name: the parameter's name ("weights", "biases").
        param: θ itself; buffer: layer.grads[name], same shape.
        trainable: the optimizer may change θ (False: biases fixed by ``train_biases=False``).
        regularized: the regularizer's term applies to θ (the weights, never the biases).
    """

    __slots__ = ("layer", "name", "param", "buffer", "trainable", "regularized", "to_buffer", "to_param", "_bind",
                 "_norm")

    def __init__(self, layer, name: str, param: np.ndarray, buffer: np.ndarray,
                 bind: Callable[[np.ndarray], Callable[[float, float], None]], norm: Callable[[], float], *,
                 trainable: bool, regularized: bool):
        self.layer, self.name, self.param, self.buffer = layer, name, param, buffer
        self.trainable, self.regularized = trainable, regularized
        self._bind, self._norm = bind, norm
        self.to_buffer, self.to_param = bind(buffer), bind(param)

    def bind(self, target: np.ndarray) -> Callable[[float, float], None]:
        """target <- alpha dC/dθ + beta target as a bound BLAS call of (alpha, beta), for any
        array of θ's shape and dtype (an optimizer's velocity, say)."""
        return self._bind(target)

    def norm(self) -> float:
        """||dC/dθ|| (Frobenius) from its factors, delta^l and a^(l-1), for a sink that does not
        store the gradient; θ is not changed (``kernels.weight_gradient_norm``: Gram matrices for
        small batches, else the gradient formed in the unused buffer)."""
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
        from .validation import positive_float

        self.eta, self.decay = positive_float("eta", eta), float(decay)
        if not math.isfinite(self.decay):  # 1 - eta lambda / n may be negative: a step that diverges
            raise ValueError(f"decay must be a finite number, got {decay!r}")
        self._alpha = -self.eta

    def take(self, gradient: Gradient) -> None:
        if gradient.trainable:
            gradient.to_param(self._alpha, self.decay if gradient.regularized else 1.0)

    def finish(self) -> None:
        pass


class FusedMomentum:
    """Classical momentum applied during backward (``optimizers.Momentum``): for every trainable θ
    with velocity v,

        v <- mu v - eta dC/dθ      one BLAS call: BP3/BP4 with alpha = -eta, beta = mu, into v
        θ <- θ + v                 one pass

    where the stored route writes dC/dθ, then makes four passes (``Momentum.step``); the two
    agree to rounding. A regularizer's term joins v as -eta d(penalty)/dw (two more passes).
    The velocities are the optimizer's own (its state, saved in checkpoints); eta and mu are
    read from it at every step.

    Args:
        optimizer: a classical (not Nesterov) ``Momentum``.
        params: the network's trainable parameters in ``step``'s order (the velocities' order):
            ``[param for param, _ in net.trainable_parameters()]``.
    Raises:
        ValueError: another optimizer, a regularizer without n, or (at ``take``) a parameter
            that is not in ``params``.
        regularizer, n: the penalty and its n (lambda / n), or None.
    """

    stores = False

    def __init__(self, optimizer, params: list[np.ndarray], regularizer=None, n: float | None = None):
        if getattr(optimizer, "name", None) != "momentum" or getattr(optimizer, "nesterov", True):
            raise ValueError(f"FusedMomentum applies classical momentum; {optimizer!r} is not a "
                             "Momentum(nesterov=False) (Nesterov and Adam need the stored gradients: StoreGradients)")
        if regularizer is not None and n is None:
            raise ValueError("the regularizer's gradient needs n, the training-set size")
        self.optimizer, self.regularizer, self.n = optimizer, regularizer, n
        self._index = {id(param): index for index, param in enumerate(params)}
        self._params = params
        # (id(layer), name) -> index, learnt at each parameter's first step: a layer may be given a
        # new array for it later (``net.weights[l] = ...`` in a callback), whose velocity is the same.
        self._slots: dict[tuple[int, str], int] = {}
        self._bound: dict = {}  # Gradient -> (velocity, bound call into it)
        self._scratch: dict[int, np.ndarray] = {}

    @property
    def eta(self) -> float:
        return self.optimizer.eta

    def _velocity(self, gradient: Gradient):
        velocities = self.optimizer.velocities
        if not velocities:
            velocities[:] = [np.zeros_like(param) for param in self._params]
        slot = (id(gradient.layer), gradient.name)
        index = self._index.get(id(gradient.param))
        if index is None:
            index = self._slots.get(slot)
        if index is None:
            raise ValueError(f"FusedMomentum was given other parameters than this network's: pass "
                             f"[param for param, _ in net.trainable_parameters()] ({gradient!r})")
        v = velocities[index]
        bound = self._bound.get(gradient)
        if bound is None or bound[0] is not v:  # a new plan, or the state was loaded anew
            if len(self._bound) > 8 * len(self._params):
                self._bound.clear()
            bound = self._bound[gradient] = (v, gradient.bind(v))
            self._slots[slot] = index
        return bound

    def take(self, gradient: Gradient) -> None:
        if not gradient.trainable:
            return
        eta, mu = float(self.optimizer.eta), self.optimizer.mu
        v, into_velocity = self._velocity(gradient)
        into_velocity(-eta, mu)  # v <- mu v - eta dC_0/dθ
        if self.regularizer is not None and gradient.regularized:
            penalty = self._scratch.get(id(v))
            if penalty is None or penalty.shape != v.shape or penalty.dtype != v.dtype:
                penalty = self._scratch[id(v)] = np.empty_like(v)
            penalty.fill(0)
            self.regularizer.add_gradient(gradient.param, penalty, self.n)  # d(penalty)/dw
            penalty *= eta
            v -= penalty
        gradient.param += v

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
