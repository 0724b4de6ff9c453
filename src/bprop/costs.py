"""Cost functions C: their names, formulas and the textbook gradient dC/da^L.

Every cost is averaged over the mini-batch (seed 001: C = (1/n) sum_x C_x). The
numbers a network trains on come from its output head (``bprop.heads``), which
pairs the output activation with the cost, owns BP1 and computes every logarithm
from the logits z^L; this module names the costs, gives the formulas the traces
print, and the gradient ∂C/∂a^L as the seeds write it (``gradient``).

Two pairs are fused: their delta^L collapses to a - y (seed 002):

    softmax + log_likelihood:  delta^L = a^L - y   (exactly: a^L Σ_j y_j - y, which is
                               a^L - y whenever the targets sum to 1, as one-hot rows do)
    sigmoid + cross_entropy:   delta^L = a^L - y

Targets y are always given here as a (batch, n_L) array of floats: one-hot
rows for class labels.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation, Sigmoid, Softmax
from .registry import Registry


class Cost:
    """Base class: a cost's name, formulas and textbook gradient dC/da^L."""

    name: str = ""
    formula: str = ""
    gradient_formula: str = ""
    #: The cost takes ln(a): the output activation must give values in (0, 1).
    needs_probabilities: bool = False

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dC/da^L of the batch-mean cost, shape (batch, n_L), as the seeds write it.

        It divides by a saturated a where the cost has a logarithm; BP1 never uses it
        for the pairs with a logarithm (see ``bprop.heads``). Traces print it."""
        raise NotImplementedError

    def fused_with(self, activation: Activation) -> bool:
        """True when delta^L collapses to a - y for this output activation."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Quadratic(Cost):
    name = "quadratic"
    formula = "C = (1/m) Σ_x ½ ||a^L - y||²"
    gradient_formula = "∂C/∂a^L = (a^L - y) / m"

    def gradient(self, a, y):
        return (a - y) / a.dtype.type(a.shape[0])


class CrossEntropy(Cost):
    """Binary cross-entropy, summed over output neurons, averaged over the batch."""

    name = "cross_entropy"
    formula = "C = -(1/m) Σ_x Σ_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]"
    gradient_formula = "∂C/∂a_j = (a_j - y_j) / (a_j (1 - a_j)) / m"
    needs_probabilities = True

    def gradient(self, a, y):
        tiny = np.finfo(a.dtype).tiny
        denominator = np.maximum(a * (1 - a), tiny)
        return (a - y) / denominator / a.dtype.type(a.shape[0])

    def fused_with(self, activation):
        return isinstance(activation, Sigmoid)


class LogLikelihood(Cost):
    """Log-likelihood (categorical cross-entropy): C_x = -ln a_y for the true class y."""

    name = "log_likelihood"
    formula = "C = -(1/m) Σ_x Σ_j y_j ln a_j"
    gradient_formula = "∂C/∂a_j = -y_j / a_j / m"
    needs_probabilities = True

    def gradient(self, a, y):
        tiny = np.finfo(a.dtype).tiny
        return -y / np.maximum(a, tiny) / a.dtype.type(a.shape[0])

    def fused_with(self, activation):
        return isinstance(activation, Softmax)


COSTS = Registry("cost", Cost)
COSTS.register("quadratic", Quadratic, aliases=("mse", "squared_error"))
COSTS.register("cross_entropy", CrossEntropy, aliases=("binary_cross_entropy", "bce"))
COSTS.register(
    "log_likelihood", LogLikelihood, aliases=("categorical_cross_entropy", "nll", "log_loss")
)


def get(cost: str | Cost) -> Cost:
    """Return the cost named ``cost`` (or the object itself)."""
    return COSTS.get(cost)
