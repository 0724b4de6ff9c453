"""The layer protocol every layer of a network follows.

``forward(x, training)`` maps the layer's input (batch, n_in) to its output
(batch, n_out). With ``training=True`` it caches exactly what ``backward``
needs; with ``training=False`` (inference) it caches nothing.

``backward(grad_output, sink, need_input_grad)`` takes dC/d(output) of the last
training forward pass and returns dC/d(input), or None when the caller does not
need it (the first layer: no gradient is ever wanted with respect to the data).
A layer with parameters hands each parameter's gradient to ``sink`` as a
``sinks.Gradient`` (``sink.take``), after it has used the parameters for
dC/d(input): the sink stores it, or applies plain SGD with it (``bprop.sinks``).
It never modifies its arguments.
"""

from __future__ import annotations

import numpy as np


class Layer:
    """Base class. Parameters live in ``params`` and their gradients in ``grads``,
    both dicts from a name ("weights", "biases") to arrays of the same shape."""

    #: Names of the parameters the optimizer may change.
    trainable: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.n_in: int | None = None
        self.n_out: int | None = None

    def build(self, n_in: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        """Create the parameters for ``n_in`` inputs and return the output size."""
        self.n_in = self.n_out = n_in
        return n_in

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, sink, need_input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def astype(self, dtype) -> None:
        """Convert the parameters (and gradient buffers) to ``dtype`` in place."""
        for name in list(self.params):
            self.params[name] = self.params[name].astype(dtype)
            self.grads[name] = np.zeros_like(self.params[name])

    def clear_cache(self) -> None:
        """Drop what the last training forward pass cached."""

    def config(self) -> dict:
        """A JSON-able description from which the layer can be rebuilt."""
        raise NotImplementedError

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))
