"""The fully connected layer l: z^l = w^l a^(l-1) + b^l, a^l = sigma(z^l).

Notation of the seeds: w^l has shape (n_l, n_(l-1)); w^l_jk connects neuron k
of layer l-1 to neuron j of layer l; b^l has shape (n_l,). A mini-batch holds
one sample per row, so the matrix form over the batch is

    Z^l = A^(l-1) (w^l)^T + b^l        (m, n_l) = (m, n_(l-1)) (n_(l-1), n_l)

and the backward pass, given Delta^l = dC/dZ^l (m, n_l), is

    BP2  (first half) dC/dA^(l-1) = Delta^l w^l                    (m, n_(l-1))
    BP3  dC/db^l = sum over the batch of delta^l                  (n_l,)
    BP4  dC/dw^l = (Delta^l)^T A^(l-1)                             (n_l, n_(l-1))

BP3 and BP4 go to a sink (``bprop.sinks``), which stores them or applies plain SGD
with them in the same BLAS call. The second half of BP2, ⊙ sigma'(z^(l-1)), happens
in the layer below (``Dense.backward``), where z^(l-1) lives. Deltas here already
carry the 1/m of the batch-mean cost.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import activations, initializers
from .. import kernels
from ..activations import Softmax
from ..sinks import Gradient
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
        grad_weights, grad_biases: dC/dw^l and dC/db^l of the last backward pass whose sink
            stored them (``sinks.StoreGradients``).
        cache, delta, input_gradient: a^(l-1), z^l, a^l, delta^l and dC/da^(l-1) of the last
            training pass (buffers the next training batch overwrites).
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
        self._plan: _Plan | None = None  # the plan of the last training forward pass
        self._plans: dict[int, _Plan] = {}  # by batch size
        self._work = Workspace()  # z, a, delta and dC/da^(l-1) of training batches

    # -- construction ---------------------------------------------------------------

    def build(self, n_in, rng, dtype):
        if n_in != self.n_in:
            raise ValueError(f"Dense layer expects {self.n_in} inputs but the layer below gives {n_in}")
        weights, biases = self.init(self.n_out, self.n_in, rng, dtype)
        given_w, given_b = self._initial
        if given_w is not None:
            weights = self.checked_parameter(given_w, (self.n_out, self.n_in), "weights", dtype)
        if given_b is not None:
            biases = self.checked_parameter(given_b, (self.n_out,), "biases", dtype)
        self._initial = (None, None)
        self.params = {"weights": weights, "biases": biases}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        return self.n_out

    @staticmethod
    def checked_parameter(value, shape, name, dtype) -> np.ndarray:
        """A private, C-ordered copy of ``value`` as a parameter of ``shape`` and ``dtype``;
        ValueError for complex values, another shape, NaN or inf.

        C order whatever ``value``'s layout (``w.T`` of an (n_in, n_out) array is Fortran-ordered):
        the same values train to the same bits (BLAS rounds another layout's products
        differently), and Adam's compiled kernel takes only C-ordered parameters."""
        if np.iscomplexobj(value):
            raise ValueError(f"{name} must be real numbers, got complex values")
        array = np.array(value, dtype=dtype, order="C")  # always a private copy
        if array.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contain NaN or inf")
        return array

    def set_param(self, name: str, value) -> None:
        """Replace a parameter by a copy of ``value`` (same shape, cast to the layer's dtype)."""
        current = self.params[name]
        self.params[name] = self.checked_parameter(value, current.shape, name, current.dtype)

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
        writes z^l and a^l into the layer's reused buffers (its plan for this input array,
        see ``_Plan``) and keeps (a^(l-1), z^l, a^l) for backward; the returned a^l is
        overwritten by the next training batch.
        """
        if not training:
            self._plan = None
            z = self.weighted_input(x)
            return self.activation.forward(z, out=z)
        plan = self._plans.get(x.shape[0])
        params = self.params
        if (plan is None or plan.x is not x or params["weights"] is not plan.weights or params["biases"] is not plan.biases
                or self.activation is not plan.activation or self.grads is not plan.grads):
            if len(self._plans) >= 4:  # batch shapes come and go (the last batch of an epoch)
                self._plans.clear()
            plan = self._plans[x.shape[0]] = _Plan(self, x)
        plan.forward()
        self._plan = plan
        return plan.a

    def output_delta(self, head, targets: np.ndarray, target_index: np.ndarray | None = None,
                     row_weights: np.ndarray | None = None) -> np.ndarray:
        """BP1 for this layer as the output layer L: delta^L = dC/dz^L, (m, n_L), from the
        network's ``heads.OutputHead`` (``target_index``, ``row_weights``: see ``OutputHead.delta``),
        written into the layer's delta buffer."""
        plan = self._require_plan()
        return head.delta(plan.z, plan.a, targets, out=plan.delta, target_index=target_index,
                          row_weights=row_weights)

    def backward(self, grad_output, sink, need_input_grad=True):
        """From dC/da^l (m, n_l): BP2's second half, delta^l = dC/da^l ⊙ sigma'(z^l) (the full
        Jacobian for softmax), then ``backward_delta``."""
        plan = self._require_plan()
        self.activation.backward(plan.z, plan.a, grad_output, out=plan.delta)
        return self.backward_delta(plan.delta, sink, need_input_grad)

    def backward_delta(self, delta: np.ndarray, sink, need_input_grad: bool = True) -> np.ndarray | None:
        """Given delta^l = dC/dz^l (m, n_l) of the last training forward pass: BP2's first half,
        then BP3 and BP4 handed to ``sink`` (``bprop.sinks``); returns dC/da^(l-1), (m, n_(l-1)),
        or None when ``need_input_grad`` is False (the first layer).

        BP2's product uses w^l as it was in the forward pass, so it runs before the sink,
        which may update w^l (``sinks.FusedSGD``).
        """
        plan = self._require_plan()
        if delta is not plan.delta:
            np.copyto(plan.delta, delta)
        grad_input = None
        if need_input_grad:
            if plan.input_gradient is None:
                plan.bind_input_gradient()
            grad_input = plan.input_gradient()  # BP2, first half: Δ^l w^l, (m, n_l) (n_l, n_(l-1))
        plan.has_input_gradient = need_input_grad
        sink.take(plan.bias_gradient)  # BP3: dC/db^l = Σ_x delta^l, (n_l,)
        sink.take(plan.weight_gradient)  # BP4: dC/dw^l = (Δ^l)^T A^(l-1), (n_l, n_(l-1))
        return grad_input

    def _require_plan(self) -> "_Plan":
        if self._plan is None:
            raise RuntimeError("backward needs a forward pass with training=True first")
        return self._plan

    @property
    def cache(self) -> tuple | None:
        """(a^(l-1), z^l, a^l) of the last training forward pass, or None."""
        plan = self._plan
        return None if plan is None else (plan.x, plan.z, plan.a)

    @property
    def weighted_inputs(self) -> np.ndarray | None:
        """z^l, (m, n_l), of the last training forward pass (a buffer), or None."""
        return None if self._plan is None else self._plan.z

    @property
    def delta(self) -> np.ndarray | None:
        """delta^l = dC/dz^l, (m, n_l), of the last training pass (valid after its backward), or None."""
        return None if self._plan is None else self._plan.delta

    @property
    def input_gradient(self) -> np.ndarray | None:
        """dC/da^(l-1) = Δ^l w^l, (m, n_(l-1)), of the last backward pass, or None (first layer)."""
        plan = self._plan
        return None if plan is None or not plan.has_input_gradient else plan.grad_input

    def astype(self, dtype) -> None:
        super().astype(dtype)
        self.clear_cache()

    def __getstate__(self) -> dict:
        """Pickling and deep copies leave out the training plans and buffers (their bound BLAS
        calls belong to this object's arrays); the copy makes its own when it trains."""
        state = dict(self.__dict__)
        state.update(_plan=None, _plans={}, _work=Workspace())
        return state

    def clear_cache(self):
        """Drop the cached pass and free the training buffers."""
        self._plan = None
        self._plans.clear()
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


class _Plan:
    """One training batch shape of a Dense layer, resolved once: its buffers and its bound
    BLAS products (``kernels.bind_*``).

    The trainer gathers every batch of m rows into the same input buffer, so a layer makes
    the same products on the same arrays batch after batch. Finding the BLAS routine, the
    views and the buffers anew on every call costs about 8 us of a 58 us batch-10 step of a
    784-100-10 network; the plan finds them when the layer first sees this input array, and
    the layer makes a new plan when the input array, a parameter array (``set_param``, a
    checkpoint) or the activation changes (``Dense.forward`` compares them).

    Holds, for inputs x = a^(l-1) (m, n_(l-1)): z, a, delta (m, n_l), grad_input (m, n_(l-1)),
    and the two ``sinks.Gradient`` objects of BP3 and BP4.
    """

    def __init__(self, layer: Dense, x: np.ndarray):
        m, dtype, n_in, n_out = x.shape[0], x.dtype, layer.n_in, layer.n_out
        work = layer._work
        self.x = x
        self.activation = activation = layer.activation
        self.weights = weights = layer.params["weights"]
        self.biases = biases = layer.params["biases"]
        self.grads = grads = layer.grads
        self.z = z = work.get("z", m, n_out, dtype)
        self.delta = delta = work.get("delta", m, n_out, dtype)
        self.grad_input: np.ndarray | None = None  # made when first needed (never for layer 1)
        self.input_gradient = None  # the bound BP2 product, see bind_input_gradient
        self._work = work
        self.has_input_gradient = False
        self.affine = kernels.bind_affine(x, weights, biases, out=z)
        if isinstance(activation, Softmax):
            # Softmax is the output layer's only (Network allows it nowhere else), so a^L is
            # read by BP1 and the scores alone, never as a BLAS operand: it stays the F-ordered
            # view of the transposed result, the values Softmax.forward would copy into an
            # (m, n_L) buffer, without that copy.
            columns = work.get("softmax_columns", m, n_out, dtype).reshape(n_out, m)
            self.a = columns.T
            self.activate = partial(activation.forward_transposed, z, columns)
        else:
            self.a = work.get("a", m, n_out, dtype)
            self.activate = partial(activation.forward, z, self.a)
        self.weight_gradient = Gradient(
            layer, "weights", weights, grads["weights"],
            bind=partial(kernels.bind_weight_gradient, delta, x),
            norm=partial(kernels.weight_gradient_norm, delta, x, grads["weights"]),
            trainable=True, regularized=True)
        self.bias_gradient = Gradient(
            layer, "biases", biases, grads["biases"],
            bind=partial(kernels.bind_bias_gradient, delta),
            norm=partial(_sum_norm, delta),
            trainable=layer.train_biases, regularized=False)

    def forward(self) -> None:
        self.affine()  # z^l = a^(l-1) (w^l)^T + b^l, one gemm with the bias folded in
        self.activate()  # a^l = sigma(z^l)

    def bind_input_gradient(self) -> None:
        """Make ``grad_input`` (m, n_(l-1)) and ``input_gradient``, the bound product
        grad_input <- Δ^l w^l; only for layers that pass a gradient down (not layer 1)."""
        m, n_in = self.x.shape
        self.grad_input = self._work.get("grad_input", m, n_in, self.delta.dtype)
        self.input_gradient = kernels.bind_matmul(self.delta, self.weights, out=self.grad_input)


def _sum_norm(delta: np.ndarray) -> float:
    """||Σ_x delta||: the norm of BP3's dC/db^l."""
    return kernels.norm(np.add.reduce(delta, axis=0))
