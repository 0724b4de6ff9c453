"""Training: the mini-batch loop, its history, and callbacks that act on its events."""

from .callbacks import Callback, ProgressBar
from .checkpoint import BlasThreadsWarning, OtherDataError, blas_threads, read_checkpoint
from .divergence import DivergenceError
from .early_stopping import EarlyStopping
from .history import History
from .schedules import HalveOnPlateau, StepDecay
from .signals import TrainingInterrupted
from .trainer import Trainer

__all__ = [
    "Trainer",
    "TrainingInterrupted",
    "DivergenceError",
    "History",
    "Callback",
    "ProgressBar",
    "EarlyStopping",
    "StepDecay",
    "HalveOnPlateau",
    "read_checkpoint",
    "blas_threads",
    "BlasThreadsWarning",
    "OtherDataError",
]
