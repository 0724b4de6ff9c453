"""bprop: feedforward neural networks trained with backpropagation, on NumPy.

Every gradient is explicit: ``Network.backprop`` runs the four equations BP1-BP4
in matrix form over a mini-batch, and ``gradcheck`` compares it with finite
differences.

    >>> import bprop
    >>> net = bprop.Network([64, 100, 10], hidden="relu", output="softmax",
    ...                     cost="log_likelihood", seed=0)
"""

from . import activations, costs, initializers
from .gradcheck import GradcheckReport, gradcheck
from .layers import Dense, Layer
from .network import Gradients, Network
from .optimizers import SGD
from .training import Callback, History, Trainer

__version__ = "0.1.0"

__all__ = [
    "Network",
    "Dense",
    "Layer",
    "Gradients",
    "gradcheck",
    "GradcheckReport",
    "SGD",
    "Trainer",
    "History",
    "Callback",
    "activations",
    "costs",
    "initializers",
]
