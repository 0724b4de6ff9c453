"""Early stopping (seed 002: stop when the validation accuracy saturates, or overfitting sets in)."""

from __future__ import annotations

import numbers

import numpy as np

from .. import state_dicts
from ..schema import Field, check_fields, integer, number, optional
from ..validation import positive_int
from .callbacks import Callback, format_metric
from .schedules import check_monitor, improved, metric


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; restore the best weights.

    Args:
        monitor: "val_accuracy" (default, higher is better), a cost such as "val_cost"
            or a regression error such as "val_mse" or "val_mae" (lower is better); any
            metric of the epoch logs (``schedules.lower_is_better``).
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
            trainer.report(f"early stopping after epoch {epoch + 1}: {self.monitor} has not improved for "
                           f"{self.patience} epoch{'s' if self.patience > 1 else ''} (best {format_metric(self.monitor, self.best)} at epoch "
                           f"{self.best_epoch})")

    def on_train_end(self, trainer):
        # Not after an interruption or a divergence: the network then matches its checkpoint
        # (DivergenceError put back the parameters of the start of the diverged epoch).
        if self.restore_best and self.best_params and not trainer.interrupted and not trainer.diverged:
            for (param, _), best in zip(trainer.net.trainable_parameters(), self.best_params):
                param[...] = best
            if self.best_epoch != len(trainer.history):  # the last epoch's weights are not the best
                trainer.report(f"restored the weights of epoch {self.best_epoch}, the best by {self.monitor} "
                               f"({format_metric(self.monitor, self.best)})")

    def state_dict(self):
        state = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                 "stopped_epoch": self.stopped_epoch, "n_best": len(self.best_params)}
        for index, param in enumerate(self.best_params):
            state[f"best{index}"] = param
        return state

    def check_state(self, state, params=None):
        """Check a saved state: counters in range, ``best`` a finite number or None, and
        ``n_best`` arrays best0.. matching the parameters (shapes, dtypes, finite)."""
        fields = {"best": Field(optional(number())), "best_epoch": Field(integer(0)), "wait": Field(integer(0)),
                  "stopped_epoch": Field(integer(0)), "n_best": Field(integer(0, 1 << 20))}
        arrays, values = state_dicts.split(state)
        checked = check_fields(values, fields, "the EarlyStopping state")
        count = checked["n_best"]
        expected = {f"best{index}" for index in range(count)}
        if set(arrays) != expected or set(checked) != set(fields):
            raise ValueError(f"the EarlyStopping state holds {sorted(arrays)[:10]} and {sorted(checked)[:10]}, "
                             f"expected best0..best{count - 1} and {sorted(fields)}")
        best_params = state_dicts.numbered(arrays, "best", params, "EarlyStopping")
        if checked["best_epoch"] and checked["best"] is None:
            raise ValueError("the EarlyStopping state has a best epoch but no best value")
        return {"best": checked["best"], "best_epoch": checked["best_epoch"], "wait": checked["wait"],
                "stopped_epoch": checked["stopped_epoch"], "best_params": best_params}

    def load_state_dict(self, state):
        checked = self.check_state(state)
        self.best, self.best_epoch = checked["best"], checked["best_epoch"]
        self.wait, self.stopped_epoch = checked["wait"], checked["stopped_epoch"]
        self.best_params = [np.array(param) for param in checked["best_params"]]

    def __repr__(self):
        return f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience})"
