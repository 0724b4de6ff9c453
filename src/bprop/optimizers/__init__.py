"""Optimizers: turn gradients into parameter updates, keeping per-parameter state."""

from .base import OPTIMIZERS, Optimizer, get
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "OPTIMIZERS", "get"]
