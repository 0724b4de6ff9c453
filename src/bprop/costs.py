"""Cost functions C, their gradient dC/da^L, and the fused output/cost pairs.

Every cost is averaged over the mini-batch (seed 001: C = (1/n) sum_x C_x), so
``value`` returns a scalar and ``gradient`` returns dC/da^L of that mean,
shape (batch, n_L): the per-sample gradient divided by the batch size m.

BP1 is delta^L = grad_a C ⊙ sigma'(z^L). For two pairs the product collapses to
a - y (seed 002), which is both cheaper and exact where the general route would
divide by a saturated a(1 - a):

    softmax + log_likelihood:  delta^L = a^L - y   (exactly: a^L Σ_j y_j - y, which is
                               a^L - y whenever the targets sum to 1, as one-hot rows do)
    sigmoid + cross_entropy:   delta^L = a^L - y

``output_delta`` takes that shortcut for those two pairs and otherwise goes the
general way through ``Activation.backward``, which for softmax applies the full
Jacobian (so softmax with the quadratic cost is correct too).

Targets y are always given here as a (batch, n_L) array of floats: one-hot
rows for class labels.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .activations import Activation, Sigmoid, Softmax
from .registry import Registry


def _safe_log(a: np.ndarray) -> np.ndarray:
    """ln(a) with a clipped to the smallest positive normal number: never -inf."""
    return np.log(np.maximum(a, np.finfo(a.dtype).tiny))


class Cost:
    """Base class: the batch-mean value of C and its gradient dC/da^L."""

    name: str = ""
    formula: str = ""
    gradient_formula: str = ""
    #: Output activations whose a^L may enter ln(.) (None: any activation works).
    needs_probabilities: bool = False

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dC/da^L of the batch-mean cost, shape (batch, n_L)."""
        raise NotImplementedError

    def total_at_labels(self, a: np.ndarray, labels: np.ndarray) -> float | None:
        """sum_x C_x when every target is the one-hot row of its label, read from the
        labels (m,) instead of the (m, n_L) targets; None when this cost has no such
        shortcut (the caller then uses ``value``)."""
        return None

    def fused_with(self, activation: Activation) -> bool:
        """True when delta^L collapses to (about) a - y for this output activation."""
        return False

    def fused_delta(self, a: np.ndarray, y: np.ndarray, out: np.ndarray | None = None,
                    one_hot: bool = False) -> np.ndarray:
        """delta^L of a fused pair, with the 1/m of the batch mean (into ``out`` when given).

        ``one_hot``: the caller knows every row of y is one-hot (fit checks that once),
        which lets a cost skip work that only other targets need."""
        delta = np.subtract(a, y, out=out)
        delta /= a.dtype.type(a.shape[0])
        return delta

    def check_output(self, activation: Activation) -> None:
        """Raise ValueError when the output activation cannot feed this cost."""
        if self.needs_probabilities:
            low, high = activation.output_range
            if low < 0 or high > 1:
                raise ValueError(
                    f"the {self.name} cost takes ln(a), so the output activation must give "
                    f"values in (0, 1) (sigmoid or softmax); got {activation.name!r}"
                )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Quadratic(Cost):
    name = "quadratic"
    formula = "C = (1/m) Σ_x ½ ||a^L - y||²"
    gradient_formula = "∂C/∂a^L = (a^L - y) / m"

    def value(self, a, y):
        diff = a - y
        return 0.5 * float(np.einsum("ij,ij->", diff, diff)) / a.shape[0]

    def gradient(self, a, y):
        return (a - y) / a.dtype.type(a.shape[0])


class CrossEntropy(Cost):
    """Binary cross-entropy, summed over output neurons, averaged over the batch."""

    name = "cross_entropy"
    formula = "C = -(1/m) Σ_x Σ_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]"
    gradient_formula = "∂C/∂a_j = (a_j - y_j) / (a_j (1 - a_j)) / m"
    needs_probabilities = True

    def value(self, a, y):
        total = y * _safe_log(a) + (1 - y) * _safe_log(1 - a)
        return -float(total.sum()) / a.shape[0]

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

    def value(self, a, y):
        return -float((y * _safe_log(a)).sum()) / a.shape[0]

    def total_at_labels(self, a, labels):
        # one-hot y: sum_j y_j ln a_j = ln a_label, one logarithm per sample instead of n_L
        return -float(_safe_log(a[np.arange(a.shape[0]), labels]).sum())

    def gradient(self, a, y):
        tiny = np.finfo(a.dtype).tiny
        return -y / np.maximum(a, tiny) / a.dtype.type(a.shape[0])

    def fused_with(self, activation):
        return isinstance(activation, Softmax)

    def fused_delta(self, a, y, out=None, one_hot=False):
        # dC_x/dz_i = a_i Σ_j y_j - y_i; the sum is 1 for one-hot (and any normalized)
        # targets, giving seed 002's a - y, but soft targets need not sum to 1.
        if one_hot:  # Σ_j y_j = 1 exactly: a - y, bit for bit what the general form gives
            return super().fused_delta(a, y, out=out)
        delta = np.multiply(a, kernels.row_sum(y)[:, None], out=out)
        delta -= y
        delta /= a.dtype.type(a.shape[0])
        return delta


COSTS = Registry("cost", Cost)
COSTS.register("quadratic", Quadratic, aliases=("mse", "squared_error"))
COSTS.register("cross_entropy", CrossEntropy, aliases=("binary_cross_entropy", "bce"))
COSTS.register(
    "log_likelihood", LogLikelihood, aliases=("categorical_cross_entropy", "nll", "log_loss")
)


def get(cost: str | Cost) -> Cost:
    """Return the cost named ``cost`` (or the object itself)."""
    return COSTS.get(cost)


def output_delta(cost: Cost, activation: Activation, z: np.ndarray, a: np.ndarray, y: np.ndarray,
                 out: np.ndarray | None = None, one_hot: bool = False) -> np.ndarray:
    """BP1: delta^L = ∂C/∂z^L of the batch-mean cost, shape (batch, n_L).

    The fused pairs give (a - y) / m directly (see ``fused_delta``; ``one_hot`` says every
    row of y is one-hot); every other pair multiplies ∂C/∂a^L by sigma'(z^L) (or the
    softmax Jacobian) in ``activation.backward``.
    """
    if cost.fused_with(activation):
        return cost.fused_delta(a, y, out=out, one_hot=one_hot)
    return activation.backward(z, a, cost.gradient(a, y), out=out)
