"""The fully connected layer l: z^l = w^l a^(l-1) + b^l, a^l = sigma(z^l).

Notation of the seeds: w^l has shape (n_l, n_(l-1)); w^l_jk connects neuron k
of layer l-1 to neuron j of layer l; b^l has shape (n_l,). A mini-batch holds
one sample per row, so the matrix form over the batch is

    Z^l = A^(l-1) (w^l)^T + b^l        (m, n_l) = (m, n_(l-1)) (n_(l-1), n_l)

and the backward pass, given Delta^l = dC/dZ^l (m, n_l), is

    BP3  dC/db^l = sum over the batch of delta^l                  (n_l,)
    BP4  dC/dw^l = (Delta^l)^T A^(l-1)                             (n_l, n_(l-1))
    BP2  (first half) dC/dA^(l-1) = Delta^l w^l                    (m, n_(l-1))

The second half of BP2, ⊙ sigma'(z^(l-1)), happens in the layer below, where
z^(l-1) lives. Deltas here already carry the 1/m of the batch-mean cost.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import activations, initializers
from .. import kernels
from ..activations import Softmax
from ..kernels import SGDStep
from .base import Layer
from .workspace import Workspace


class Dense(Layer):
    """Fully connected layer with an activation.

    Args:
        n_in: n_(l-1), the number of inputs.
        n_out: n_l, the number of neurons.
        activation: name or ``Activation`` (sigmoid, tanh, relu, leaky_relu,
            identity, softmax).
        init: initialization law ("large", "normal", "he"); default: He for
            the ReLU family, N(0, 1/n_in) otherwise.
        weights, biases: explicit initial values, shapes (n_out, n_in) and
            (n_out,); they override ``init``.
        train_biases: False keeps the biases fixed during training (as the
            seeds' worked 2-2-2 example does). Their gradient is still computed.

    Attributes:
        weights: w^l, (n_out, n_in).  biases: b^l, (n_out,).
        grad_weights, grad_biases: dC/dw^l and dC/db^l of the last backward pass.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation="sigmoid",
        *,
        init=None,
        weights=None,
        biases=None,
        train_biases: bool = True,
    ):
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Dense {name} must be a positive integer, got {value!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.activation = activations.get(activation)
        self.init = initializers.get(init or initializers.default_for(self.activation.name))
        self.train_biases = bool(train_biases)
        self.trainable = ("weights", "biases") if self.train_biases else ("weights",)
        self._initial = (weights, biases)
        self._cache: tuple | None = None
        self._delta: np.ndarray | None = None  # delta^l of the last training backward pass
        self._work = Workspace()  # z, a, delta and dC/da^(l-1) of training batches

    # -- construction ---------------------------------------------------------------

    def build(self, n_in, rng, dtype):
        if n_in != self.n_in:
            raise ValueError(f"Dense layer expects {self.n_in} inputs but the layer below gives {n_in}")
        weights, biases = self.init(self.n_out, self.n_in, rng, dtype)
        given_w, given_b = self._initial
        if given_w is not None:
            weights = self._checked(given_w, (self.n_out, self.n_in), "weights", dtype)
        if given_b is not None:
            biases = self._checked(given_b, (self.n_out,), "biases", dtype)
        self._initial = (None, None)
        self.params = {"weights": weights, "biases": biases}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        return self.n_out

    @staticmethod
    def _checked(value, shape, name, dtype) -> np.ndarray:
        if np.iscomplexobj(value):
            raise ValueError(f"{name} must be real numbers, got complex values")
        array = np.array(value, dtype=dtype)  # always a private copy
        if array.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contain NaN or inf")
        return array

    def set_param(self, name: str, value) -> None:
        """Replace a parameter by a copy of ``value`` (same shape, cast to the layer's dtype)."""
        current = self.params[name]
        self.params[name] = self._checked(value, current.shape, name, current.dtype)

    @property
    def weights(self) -> np.ndarray:
        return self.params["weights"]

    @weights.setter
    def weights(self, value):
        self.set_param("weights", value)

    @property
    def biases(self) -> np.ndarray:
        return self.params["biases"]

    @biases.setter
    def biases(self, value):
        self.set_param("biases", value)

    @property
    def grad_weights(self) -> np.ndarray:
        return self.grads["weights"]

    @property
    def grad_biases(self) -> np.ndarray:
        return self.grads["biases"]

    # -- forward and backward -------------------------------------------------------

    def weighted_input(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """z^l = a^(l-1) (w^l)^T + b^l, (m, n_l): one gemm with the bias folded in."""
        return kernels.affine(x, self.params["weights"], self.params["biases"], out=out)

    def forward(self, x, training=False):
        """a^l = sigma(z^l), (m, n_l).

        Inference allocates z and turns it into a in place; nothing is kept. Training
        writes z and a into the layer's reused buffers and caches (a^(l-1), z^l, a^l)
        for backward; the returned a^l is overwritten by the next training batch.
        """
        if not training:
            self._cache = None
            z = self.weighted_input(x)
            return self.activation.forward(z, out=z)
        m = x.shape[0]
        z = self.weighted_input(x, out=self._work.get("z", m, self.n_out, x.dtype))
        a = self._work.get("a", m, self.n_out, x.dtype)
        if isinstance(self.activation, Softmax):  # its transpose goes to a reused buffer too
            self.activation.forward(z, out=a, scratch=softmax_columns(self._work, m, self.n_out, x.dtype))
        else:
            self.activation.forward(z, out=a)
        self._cache = (x, z, a)
        return a

    def backward(self, grad_output, need_input_grad=True, sgd=None):
        """From dC/da^l: BP1 / BP2's ⊙ sigma'(z^l), then BP3, BP4."""
        x, z, a = self._require_cache()
        delta = self._work.get("delta", x.shape[0], self.n_out, z.dtype)
        self.activation.backward(z, a, grad_output, out=delta)  # delta^l = dC/dz^l, (m, n_l)
        return self.backward_delta(delta, need_input_grad, sgd)

    def output_delta(self, head, targets: np.ndarray, target_index: np.ndarray | None = None,
                     row_weights: np.ndarray | None = None) -> np.ndarray:
        """BP1 for this layer as the output layer L: delta^L = dC/dz^L, (m, n_L), from the
        network's ``heads.OutputHead`` (``target_index``, ``row_weights``: see ``OutputHead.delta``)."""
        x, z, a = self._require_cache()
        delta = self._work.get("delta", x.shape[0], self.n_out, z.dtype)
        return head.delta(z, a, targets, out=delta, target_index=target_index, row_weights=row_weights)

    def backward_delta(self, delta: np.ndarray, need_input_grad: bool = True, sgd: SGDStep | None = None) -> np.ndarray | None:
        """Given delta^l = dC/dz^l (m, n_l), fill BP3 and BP4; return dC/da^(l-1).

        With ``sgd`` the gradients are not stored: BP3 and BP4 go straight into
        the SGD update (``kernels.sgd_update``), after dC/da^(l-1) has been
        computed with the old w^l, as BP2 requires.
        """
        x = self._require_cache()[0]
        self._delta = delta
        weights = self.params["weights"]
        grad_input = None
        if need_input_grad:
            # BP2, first half: Δ^l w^l, (m, n_(l-1)), with w^l as it was in the forward pass.
            grad_input = self._work.get("grad_input", x.shape[0], self.n_in, delta.dtype)
            kernels.matmul(delta, weights, out=grad_input)
        if sgd is None:
            np.sum(delta, axis=0, out=self.grads["biases"])  # BP3: dC/db^l = Σ delta^l, (n_l,)
            kernels.weight_gradient(delta, x, out=self.grads["weights"])  # BP4: dC/dw^l = Δ^T A^(l-1), (n_l, n_(l-1))
        else:
            if self.train_biases:
                kernels.bias_sgd_update(self.params["biases"], delta, sgd.eta)  # BP3 + update, one gemv
            kernels.sgd_update(weights, delta, x, sgd.eta, sgd.decay)  # BP4 + update, one gemm
        return grad_input

    def gradient_norms(self) -> tuple[float, float]:
        """(||dC/dw^l||, ||dC/db^l||) of the last training batch, from delta^l and a^(l-1)
        (BP4 and BP3); available also when the SGD step was fused and no gradient was stored.
        ||dC/dw^l|| comes from ``kernels.weight_gradient_norm`` (Gram matrices for small batches)."""
        if self._delta is None:
            raise RuntimeError("gradient norms need a training backward pass first")
        x = self._require_cache()[0]
        weight_norm = kernels.weight_gradient_norm(self._delta, x, scratch=self.grads["weights"])
        return weight_norm, kernels.norm(np.add.reduce(self._delta, axis=0))

    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError("backward needs a forward pass with training=True first")
        return self._cache

    @property
    def cache(self) -> tuple | None:
        """(a^(l-1), z^l, a^l) of the last training forward pass, or None."""
        return self._cache

    def clear_cache(self):
        """Drop the cached pass and free the training buffers."""
        self._cache = None
        self._delta = None
        self._work.clear()

    def config(self):
        config = {"type": "dense", "n_in": self.n_in, "n_out": self.n_out, "activation": self.activation.name}
        if self.activation.name == "leaky_relu":
            config["slope"] = self.activation.slope
        config["init"] = self.init.name
        config["train_biases"] = self.train_biases
        return config

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r})"


def softmax_columns(work: Workspace, m: int, n: int, dtype) -> np.ndarray:
    """The reused (n, m) buffer a softmax layer's forward transposes z into (``Softmax.forward``)."""
    return work.get("softmax_columns", m, n, dtype).reshape(n, m)


class DenseStep:
    """A Dense layer's training forward and fused-SGD backward, bound to one input buffer.

    The trainer gathers every batch of m rows into the same buffer, so a layer's
    training step makes the same kernel calls on the same arrays batch after batch.
    ``Dense.forward``/``backward`` find their buffers, BLAS routines and transposed
    views anew on every call; this object finds them once (``kernels.bind_*``). For a
    784-100-10 network that is 8 us of a 58 us batch-10 step. The calls, and so the
    results bit for bit, are those of ``Dense.forward(x, training=True)`` followed by
    ``Dense.backward(grad, sgd=...)`` or ``Dense.backward_delta(delta, sgd=...)``.

    Args:
        layer: the Dense layer; inputs: a^(l-1), (m, n_(l-1)), refilled by the caller
            before every ``forward``; need_input_grad: compute BP2's dC/da^(l-1).

    ``ready`` is False when the arrays are not BLAS-ready (the caller then uses the
    layer's own methods); ``current`` is False once the layer's parameter arrays (or its
    activation) have been replaced (``set_param``, a checkpoint), which calls for a new binding.
    """

    def __init__(self, layer: Dense, inputs: np.ndarray, need_input_grad: bool):
        m, dtype = inputs.shape[0], inputs.dtype
        work = layer._work
        self.layer = layer
        self.activation = layer.activation
        self.weights, self.biases = layer.params["weights"], layer.params["biases"]
        self.z = work.get("z", m, layer.n_out, dtype)
        self.delta = work.get("delta", m, layer.n_out, dtype)
        self.grad_input = work.get("grad_input", m, layer.n_in, dtype) if need_input_grad else None
        self._weighted_input = kernels.bind_affine(inputs, self.weights, self.biases, out=self.z)
        if isinstance(self.activation, Softmax):
            # Softmax is the output layer's only (Network allows it nowhere else), so a^L is
            # read by BP1 and the scores alone, never as a BLAS operand: it can stay the
            # F-ordered view of the transposed result, the values Softmax.forward would copy
            # into an (m, n_L) buffer, without that copy.
            columns = softmax_columns(work, m, layer.n_out, dtype)
            self.a = columns.T
            self._activate = partial(self.activation.forward_transposed, self.z, columns)
        else:
            self.a = work.get("a", m, layer.n_out, dtype)
            self._activate = partial(self.activation.forward, self.z, self.a)
        self._cache = (inputs, self.z, self.a)
        self._input_gradient = (kernels.bind_matmul(self.delta, self.weights, out=self.grad_input)
                                if need_input_grad else None)
        self._update_weights = kernels.bind_sgd_update(self.weights, self.delta, inputs)
        self._update_biases = kernels.bind_bias_sgd_update(self.biases, self.delta) if layer.train_biases else None
        self.ready = (self._weighted_input is not None and self._update_weights is not None
                      and (self._input_gradient is not None or not need_input_grad)
                      and (self._update_biases is not None or not layer.train_biases))

    @property
    def current(self) -> bool:
        """The layer still has the parameter arrays and the activation bound here."""
        layer = self.layer
        return (layer.params["weights"] is self.weights and layer.params["biases"] is self.biases
                and layer.activation is self.activation)

    def forward(self) -> np.ndarray:
        """a^l = sigma(z^l), (m, n_l), from the inputs buffer's current batch."""
        self._weighted_input()  # z^l = a^(l-1) (w^l)^T + b^l, one gemm with the bias folded in
        self._activate()  # a^l = sigma(z^l), into self.a
        self.layer._cache = self._cache  # (a^(l-1), z^l, a^l), as Dense.forward caches them
        return self.a

    def backward(self, grad_output: np.ndarray, sgd: SGDStep) -> np.ndarray | None:
        """From dC/da^l (m, n_l): delta^l = dC/da^l ⊙ sigma'(z^l) (BP2's second half), then
        ``backward_delta``."""
        self.activation.backward(self.z, self.a, grad_output, out=self.delta)
        return self.backward_delta(sgd)

    def backward_delta(self, sgd: SGDStep) -> np.ndarray | None:
        """With delta^l (m, n_l) in ``self.delta``: BP2's first half with the old w^l, then BP3
        and BP4 fused with the SGD step; returns dC/da^(l-1) (m, n_(l-1)) or None."""
        self.layer._delta = self.delta
        if self._input_gradient is not None:
            self._input_gradient()  # BP2: Δ^l w^l, (m, n_l) (n_l, n_(l-1))
        if self._update_biases is not None:
            self._update_biases(sgd.eta)  # BP3 + step: b^l -= eta Σ_x delta^l, one gemv
        self._update_weights(sgd.eta, sgd.decay)  # BP4 + step: w^l <- decay w^l - eta Δ^T A^(l-1), one gemm
        return self.grad_input
