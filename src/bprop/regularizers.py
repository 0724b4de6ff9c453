"""Weight penalties added to the cost (seed 002, "规范化": regularization).

With n the size of the training set and lambda > 0:

    L2   C = C_0 + (lambda / 2n) Σ_w w²      dC/dw = dC_0/dw + (lambda / n) w
    L1   C = C_0 + (lambda / n)  Σ_w |w|     dC/dw = dC_0/dw + (lambda / n) sgn(w)

The sums run over the weights only, never the biases (seed 002: large weights
are what lets a network fit the noise; the biases are few and harmless). With
plain SGD, L2's gradient term becomes the "weight decay" of the seeds:
w -> (1 - eta lambda / n) w - eta dC_0/dw.

A penalty does not depend on the mini-batch: its gradient is the same for every
batch, and the batch-mean data cost C_0 is what backprop differentiates (BP1-BP4).
``Network`` adds ``penalty`` to the cost it reports and ``add_gradient`` to the
weight gradients backprop leaves in each layer, so gradcheck sees one function.

n is set by ``fit`` to the number of training samples (and saved with the model);
a regularizer used before any training divides by the number of samples in the
data it is given instead.
"""

from __future__ import annotations

import numpy as np

from .registry import Registry
from .validation import positive_float, positive_int


class Regularizer:
    """Base class: ``penalty(weights, n)`` and ``add_gradient(w, grad, n)``.

    Args:
        lmbda: the regularization parameter lambda > 0.
        n: the training-set size (default: set by ``fit``).
    """

    name: str = ""
    formula: str = ""
    gradient_formula: str = ""

    def __init__(self, lmbda: float, n: int | None = None):
        self.lmbda = positive_float(f"{self.name} lambda", lmbda)
        # n: the number of training samples, or their summed weights (``bprop.weights``).
        self.n = None if n is None else (positive_int("regularizer n", n) if isinstance(n, (int, np.integer))
                                         else positive_float("regularizer n", n))

    def penalty(self, weights: list[np.ndarray], n: int) -> float:
        """The term added to the cost C, summed over the weight matrices."""
        raise NotImplementedError

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, n: int) -> None:
        """grad += d(penalty)/dw, in place; ``w`` is left alone."""
        raise NotImplementedError

    def decay_factor(self, eta: float, n: int) -> float | None:
        """The factor plain SGD may apply to w instead of adding the gradient (None: not possible)."""
        return None

    def config(self) -> dict:
        return {"name": self.name, "lambda": self.lmbda, "n": self.n}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lmbda={self.lmbda:g}, n={self.n})"


class L2(Regularizer):
    name = "l2"
    formula = "(λ / 2n) Σ w²"
    gradient_formula = "(λ / n) w"

    def penalty(self, weights, n):
        total = sum(float(np.einsum("ij,ij->", w, w, dtype=np.float64)) for w in weights)
        return self.lmbda / (2 * n) * total

    def decay_factor(self, eta, n):
        """SGD with L2 shrinks w by 1 - eta lambda / n before the gradient step."""
        return 1.0 - eta * self.lmbda / n

    def add_gradient(self, w, grad, n):
        # grad += (lambda / n) w, without a temporary the size of w.
        grad += w.dtype.type(self.lmbda / n) * w


class L1(Regularizer):
    name = "l1"
    formula = "(λ / n) Σ |w|"
    gradient_formula = "(λ / n) sgn(w)"

    def penalty(self, weights, n):
        total = sum(float(np.abs(w).sum(dtype=np.float64)) for w in weights)
        return self.lmbda / n * total

    def add_gradient(self, w, grad, n):
        # sgn(0) = 0: the penalty has a kink there; 0 is the usual subgradient.
        grad += w.dtype.type(self.lmbda / n) * np.sign(w)


REGULARIZERS = Registry("regularizer", Regularizer)
REGULARIZERS.register("l2", L2, aliases=("weight_decay",))
REGULARIZERS.register("l1", L1)


def get(spec, lmbda: float | None = None, n: int | None = None) -> Regularizer | None:
    """A regularizer from a name and lambda, a config dict, an object, or None."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, dict):
        try:
            return get(spec["name"], spec["lambda"], spec.get("n"))
        except KeyError as missing:
            raise ValueError(f"a regularizer config needs 'name' and 'lambda', missing {missing}") from None
    name = REGULARIZERS.canonical(spec)
    if lmbda is None:
        raise ValueError(f"the {name} regularizer needs a lambda, e.g. regularizer=('{name}', 5.0)")
    return REGULARIZERS._factories[name](lmbda, n)
