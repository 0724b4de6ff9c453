"""Training: the mini-batch loop, its history, and callbacks that act on its events."""

from .callbacks import Callback, ProgressBar
from .history import History
from .trainer import Trainer

__all__ = ["Trainer", "History", "Callback", "ProgressBar"]
