"""Learning-rate schedules: callbacks that change ``trainer.optimizer.eta`` between epochs.

    StepDecay(every=k, factor=f)          eta -> f eta after every k epochs
    HalveOnPlateau(patience=k, max_halvings=n)
        seed 002's schedule: when the validation accuracy has not improved for
        k epochs, halve eta; once it has been halved n times, the next plateau
        stops training (with n = 7 eta ends at eta_0 / 128, as the seeds suggest).
"""

from __future__ import annotations

import numbers

from ..schema import Field, check_fields, integer, number, optional
from ..validation import positive_int
from .callbacks import Callback, format_metric


class StepDecay(Callback):
    """Multiply eta by ``factor`` after every ``every`` epochs.

    Args:
        every: epochs between decays (k >= 1).
        factor: multiplier, 0 < factor < 1 (default 0.5).
    """

    changes_eta = True

    def __init__(self, every: int, factor: float = 0.5):
        self.every = positive_int("StepDecay every", every)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
            raise ValueError(f"StepDecay factor must be in (0, 1), got {factor!r}")
        self.factor = float(factor)

    def on_epoch_end(self, trainer, epoch, logs):
        if (epoch + 1) % self.every == 0:
            old = trainer.optimizer.eta
            trainer.optimizer.eta *= self.factor
            trainer.report(f"eta {old:.4g} -> {trainer.optimizer.eta:.4g} after epoch {epoch + 1} "
                           f"(StepDecay: x{self.factor:g} every {self.every} epoch{'s' if self.every > 1 else ''})")

    def __repr__(self):
        return f"StepDecay(every={self.every}, factor={self.factor:g})"


class HalveOnPlateau(Callback):
    """Halve eta when ``monitor`` has not improved for ``patience`` epochs; stop after ``max_halvings``.

    Args:
        patience: epochs without improvement before halving (k).
        max_halvings: halvings allowed (n); the plateau after the n-th stops training.
        monitor: a metric of the epoch logs (default "val_accuracy"; costs and errors,
            "*_cost", "*_mse", "*_mae", improve downwards, others upwards: ``lower_is_better``).
        factor: the multiplier (default 0.5: halving).

    Attributes:
        best, wait, halvings: the state, saved in checkpoints.
    """

    changes_eta = True

    def __init__(self, patience: int = 10, max_halvings: int = 7, monitor: str = "val_accuracy", factor: float = 0.5):
        self.patience = positive_int("HalveOnPlateau patience", patience)
        if isinstance(max_halvings, bool) or not isinstance(max_halvings, int) or max_halvings < 0:
            raise ValueError(f"max_halvings must be a non-negative integer, got {max_halvings!r}")
        self.max_halvings = max_halvings
        self.monitor = monitor
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
            raise ValueError(f"HalveOnPlateau factor must be in (0, 1), got {factor!r}")
        self.factor = float(factor)
        self.best = None
        self.wait = 0
        self.halvings = 0

    def check(self, trainer, metrics):
        check_monitor(self, self.monitor, metrics)

    def on_train_begin(self, trainer):
        self.best, self.wait, self.halvings = None, 0, 0

    def on_epoch_end(self, trainer, epoch, logs):
        value = metric(logs, self.monitor)
        if improved(self.monitor, value, self.best):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        self.wait = 0
        plateau = (f"{self.monitor} has not improved for {self.patience} epoch{'s' if self.patience > 1 else ''} "
                   f"(best {format_metric(self.monitor, self.best)})")
        if self.halvings >= self.max_halvings:
            trainer.stop_training = True
            times = f"{self.max_halvings} time{'s' if self.max_halvings != 1 else ''}"
            trainer.report(f"stopping after epoch {epoch + 1}: {plateau}, and eta was already "
                           f"{'halved' if self.factor == 0.5 else 'reduced'} {times}")
            return
        old = trainer.optimizer.eta
        trainer.optimizer.eta *= self.factor
        self.halvings += 1
        change = "halved" if self.factor == 0.5 else f"x{self.factor:g}"
        trainer.report(f"eta {change} after epoch {epoch + 1} ({self.halvings} of {self.max_halvings}): "
                       f"{old:.4g} -> {trainer.optimizer.eta:.4g}; {plateau}")

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "halvings": self.halvings}

    def check_state(self, state, params=None):
        """Check a saved state: ``best`` a finite number or None, 0 <= wait, 0 <= halvings <= max_halvings."""
        fields = {"best": Field(optional(number())), "wait": Field(integer(0)),
                  "halvings": Field(integer(0, self.max_halvings))}
        checked = check_fields(state, fields, "the HalveOnPlateau state")
        if set(checked) != set(fields):
            raise ValueError(f"the HalveOnPlateau state has unknown keys {sorted(set(checked) - set(fields))[:10]}")
        return checked

    def load_state_dict(self, state):
        checked = self.check_state(state)
        self.best, self.wait, self.halvings = checked["best"], checked["wait"], checked["halvings"]

    def __repr__(self):
        return f"HalveOnPlateau(patience={self.patience}, max_halvings={self.max_halvings}, monitor={self.monitor!r})"


def check_monitor(callback, name, metrics: set[str]) -> None:
    """Before training: raise ValueError when the metric ``name`` will not be in the logs."""
    if name in metrics:
        return
    hint = " (pass validation=(x_val, y_val) to fit)" if isinstance(name, str) and name.startswith("val_") else ""
    raise ValueError(f"{type(callback).__name__} monitors {name!r}, which the epoch logs will not have{hint}; "
                     f"they will have: {', '.join(sorted(metrics))}")


def metric(logs: dict, name: str) -> float:
    if logs.get(name) is None:
        hint = " (pass validation=(x_val, y_val) to fit)" if name.startswith("val_") else ""
        raise ValueError(f"metric {name!r} is not in the epoch logs{hint}; they have: {', '.join(logs)}")
    return float(logs[name])


#: The last words of the metric names that improve downwards: the costs and regression's errors
#: (``Network.evaluate``: cost, mse, mae); every other metric (accuracy, r2) improves upwards.
LOWER_IS_BETTER = ("cost", "mse", "mae")


def lower_is_better(name: str) -> bool:
    """True for a metric that improves downwards ("val_cost", "val_mse", "test_mae")."""
    return name.endswith(LOWER_IS_BETTER)


def improved(name: str, value: float, best: float | None, min_delta: float = 0.0) -> bool:
    """True when ``value`` beats ``best``: lower for costs and errors (``lower_is_better``),
    higher otherwise."""
    if best is None:
        return True
    if lower_is_better(name):
        return value < best - min_delta
    return value > best + min_delta
