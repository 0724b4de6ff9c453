"""Early stopping (seed 002: stop when the validation accuracy saturates, or overfitting sets in)."""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import positive_int
from .callbacks import Callback
from .schedules import check_monitor, improved, metric


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; restore the best weights.

    Args:
        monitor: "val_accuracy" (default, higher is better) or a cost such as
            "val_cost" (lower is better); any metric of the epoch logs.
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        restore_best: at the end of training put back the parameters of the best
            epoch (default True; not after an interruption or a DivergenceError,
            so the network matches its checkpoint).

    Attributes:
        best, best_epoch (1-based), wait, stopped_epoch; best_params: copies of
        every parameter at the best epoch.
    """

    def __init__(self, monitor: str = "val_accuracy", patience: int = 10, min_delta: float = 0.0,
                 restore_best: bool = True):
        self.monitor = monitor
        self.patience = positive_int("EarlyStopping patience", patience)
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not 0 <= min_delta < np.inf:
            raise ValueError(f"min_delta must be a non-negative number, got {min_delta!r}")
        self.min_delta = float(min_delta)
        self.restore_best = bool(restore_best)
        self._reset()

    def _reset(self):
        self.best = None
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_params: list[np.ndarray] = []

    def check(self, trainer, metrics):
        check_monitor(self, self.monitor, metrics)

    def on_train_begin(self, trainer):
        self._reset()

    def on_epoch_end(self, trainer, epoch, logs):
        value = metric(logs, self.monitor)
        if improved(self.monitor, value, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch + 1, 0
            if self.restore_best:
                self.best_params = [param.copy() for param, _ in trainer.net.trainable_parameters()]
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch + 1
            trainer.stop_training = True

    def on_train_end(self, trainer):
        # Not after an interruption or a divergence: the network then matches its checkpoint
        # (DivergenceError put back the parameters of the start of the diverged epoch).
        if self.restore_best and self.best_params and not trainer.interrupted and not trainer.diverged:
            for (param, _), best in zip(trainer.net.trainable_parameters(), self.best_params):
                param[...] = best

    def state_dict(self):
        state = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                 "stopped_epoch": self.stopped_epoch, "n_best": len(self.best_params)}
        for index, param in enumerate(self.best_params):
            state[f"best{index}"] = param
        return state

    def load_state_dict(self, state):
        self.best, self.best_epoch = state["best"], int(state["best_epoch"])
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best_params = [np.array(state[f"best{index}"]) for index in range(int(state["n_best"]))]

    def __repr__(self):
        return f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience})"
