"""bprop: feedforward neural networks trained with backpropagation, on NumPy.

Every gradient is explicit: ``Network.backprop`` runs the four equations BP1-BP4
in matrix form over a mini-batch, and ``gradcheck`` compares it with finite
differences.

    >>> import bprop
    >>> net = bprop.Network([64, 100, 10], hidden="relu", output="softmax",
    ...                     cost="log_likelihood", seed=0)
"""

from . import activations, costs, heads, initializers, preprocessing, regularizers, tasks
from .gradcheck import GradcheckReport, gradcheck
from .layers import Dense, Dropout, Layer
from .network import Gradients, Network
from .optimizers import SGD, Adam, Momentum
from .preprocessing import Scale, Standardize
from .regularizers import L1, L2
from .serialization import load_model as load
from .training import (
    Callback,
    DivergenceError,
    EarlyStopping,
    HalveOnPlateau,
    History,
    StepDecay,
    Trainer,
    TrainingInterrupted,
)
from .version import __version__

__all__ = [
    "Network",
    "Dense",
    "Dropout",
    "Layer",
    "load",
    "L1",
    "L2",
    "Momentum",
    "Adam",
    "EarlyStopping",
    "StepDecay",
    "HalveOnPlateau",
    "TrainingInterrupted",
    "DivergenceError",
    "regularizers",
    "Gradients",
    "gradcheck",
    "GradcheckReport",
    "SGD",
    "Trainer",
    "History",
    "Callback",
    "activations",
    "costs",
    "heads",
    "tasks",
    "preprocessing",
    "Scale",
    "Standardize",
    "initializers",
]
