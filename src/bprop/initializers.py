"""Weight initialization laws, chosen by name.

    "large"   w ~ N(0, 1), b ~ N(0, 1)         the seeds' early chapters; saturates
                                               sigmoid neurons of wide layers
    "normal"  w ~ N(0, 1/n_in), b = 0          default for sigmoid and tanh layers
    "he"      w ~ N(0, 2/n_in), b = 0          default for ReLU-family layers

n_in is n_(l-1), the number of inputs of each neuron. Weights have the seeds'
shape (n_l, n_(l-1)), biases (n_l,).
"""

from __future__ import annotations

import numpy as np

from .registry import Registry


class Initializer:
    name: str = ""
    description: str = ""

    def weights_std(self, n_in: int) -> float:
        raise NotImplementedError

    def biases_std(self, n_in: int) -> float:
        return 0.0

    def __call__(self, n_out: int, n_in: int, rng: np.random.Generator, dtype) -> tuple[np.ndarray, np.ndarray]:
        """Draw (weights (n_out, n_in), biases (n_out,)) from ``rng``."""
        weights = rng.standard_normal((n_out, n_in)) * self.weights_std(n_in)
        biases_std = self.biases_std(n_in)
        if biases_std:
            biases = rng.standard_normal(n_out) * biases_std
        else:
            biases = np.zeros(n_out)
        return weights.astype(dtype), biases.astype(dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LargeNormal(Initializer):
    name = "large"
    description = "w ~ N(0, 1), b ~ N(0, 1)"

    def weights_std(self, n_in):
        return 1.0

    def biases_std(self, n_in):
        return 1.0


class ScaledNormal(Initializer):
    name = "normal"
    description = "w ~ N(0, 1/n_in), b = 0"

    def weights_std(self, n_in):
        return 1.0 / np.sqrt(n_in)


class He(Initializer):
    name = "he"
    description = "w ~ N(0, 2/n_in), b = 0"

    def weights_std(self, n_in):
        return np.sqrt(2.0 / n_in)


INITIALIZERS = Registry("initializer", Initializer)
INITIALIZERS.register("large", LargeNormal, aliases=("standard_normal",))
INITIALIZERS.register("normal", ScaledNormal, aliases=("scaled_normal", "lecun", "xavier"))
INITIALIZERS.register("he", He, aliases=("kaiming",))


def get(initializer: str | Initializer) -> Initializer:
    return INITIALIZERS.get(initializer)


def default_for(activation_name: str) -> str:
    """He for the ReLU family, N(0, 1/n_in) otherwise."""
    return "he" if activation_name in ("relu", "leaky_relu") else "normal"
