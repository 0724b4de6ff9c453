"""Optimizers: turn gradients into parameter updates, keeping per-parameter state."""

from .base import OPTIMIZERS, Optimizer, from_config, get
from .sgd import SGD
from .momentum import Momentum
from .adam import Adam

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "OPTIMIZERS", "get", "from_config"]
