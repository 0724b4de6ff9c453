"""Callbacks: objects the training loop tells about its events.

Hooks (all optional), called by ``Trainer`` with itself as ``trainer``:
    on_train_begin(trainer)
    on_epoch_begin(trainer, epoch)
    on_batch_end(trainer, batch, n_batches)
    on_epoch_end(trainer, epoch, logs)   logs: the epoch's metrics (mutable)
    on_train_end(trainer)
A callback stops training by setting ``trainer.stop_training = True``.

Before the first epoch ``Trainer.fit`` calls ``check(trainer, metrics)`` on every
callback with the set of metric names the epoch logs will have; a callback that
cannot work (it monitors a metric that will not be there) raises ValueError then,
before any weight changes. A callback that adds its own metrics to the logs lists
their names in a ``provides`` attribute, so that others may monitor them.

Callbacks that keep state across epochs (a schedule's counters, early
stopping's best weights) expose it with ``state_dict()`` / ``load_state_dict()``
so a checkpoint can resume them exactly: JSON values and NumPy arrays only.
The learning-rate callbacks change ``trainer.optimizer.eta`` between epochs.
"""

from __future__ import annotations

import sys
import time


class Callback:
    #: Names of the metrics this callback adds to the epoch logs.
    provides: tuple[str, ...] = ()

    def check(self, trainer, metrics: set[str]) -> None:
        """Raise ValueError if this callback cannot run with ``trainer``'s settings;
        ``metrics``: the names the epoch logs will have. Called before training."""

    def on_train_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer, epoch: int) -> None: ...
    def on_batch_end(self, trainer, batch: int, n_batches: int) -> None: ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None: ...
    def on_train_end(self, trainer) -> None: ...

    def state_dict(self) -> dict:
        """What must survive a checkpoint: JSON values and NumPy arrays."""
        return {}

    def check_state(self, state: dict, params=None) -> dict:
        """Validate a ``state_dict`` read from a checkpoint without changing anything;
        return what ``load_state_dict`` sets. ``params``: the network's trainable
        parameters, for states that hold copies of them. Raises ValueError."""
        if state:
            raise ValueError(f"{type(self).__name__} keeps no state, but the checkpoint holds {sorted(state)[:10]}")
        return {}

    def load_state_dict(self, state: dict) -> None: ...


def format_logs(epoch: int, epochs: int, logs: dict) -> str:
    """One readable line per epoch: costs, accuracies (R² for regression) and seconds."""
    parts = [f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}"]
    for prefix, label in (("train", "train"), ("val", "val"), ("test", "test")):
        cost, acc, r2 = logs.get(f"{prefix}_cost"), logs.get(f"{prefix}_accuracy"), logs.get(f"{prefix}_r2")
        if cost is not None:
            parts.append(f"{label} cost {cost:.4f}" + (f" acc {100 * acc:6.2f}%" if acc is not None else "")
                         + (f" R² {r2:.4f}" if r2 is not None else ""))
    if "seconds" in logs:
        parts.append(f"{logs['seconds']:.2f}s")
    return "  ".join(parts)


class ProgressBar(Callback):
    """A rich progress bar over each epoch's batches and one line per epoch.

    The bar appears only once an epoch has run for ``REDRAW_SECONDS`` (as tqdm's
    ``delay``): an epoch shorter than that prints its line and nothing else, and a
    longer one shows the bar until its line replaces it. Each rich redraw, start or
    stop costs 0.5-1 ms (about 2 ms under a profiler), which drawing the bar from the
    start of every epoch would spend several times in an epoch that is over in a
    fraction of a second.

    The count is updated at most ~50 times per epoch and the bar redrawn at most
    4 times a second, both from the training loop itself: rich's own refresh
    thread would wake up on its clock and take the interpreter lock from the
    loop at arbitrary moments.
    """

    #: Seconds between redraws, and before an epoch's bar first appears.
    REDRAW_SECONDS = 0.25

    def __init__(self, console=None):
        self.console = console
        self._progress = None
        self._task = None
        self._shown = False
        self._every = 1
        self._next_redraw = 0.0

    def on_train_begin(self, trainer):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        if self.console is None:
            self.console = Console(file=sys.stdout)
        self._progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("batches"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            auto_refresh=False,  # redrawn from on_batch_end, no refresh thread
            disable=not self.console.is_terminal,
        )

    def on_epoch_begin(self, trainer, epoch):
        n_batches = trainer.n_batches
        self._every = max(1, n_batches // 50)
        label = f"{epoch + 1}/{trainer.epochs}"
        if self._task is None:
            self._task = self._progress.add_task("train", total=n_batches, epoch=label)
        else:
            self._progress.reset(self._task, total=n_batches, epoch=label)
        self._next_redraw = time.monotonic() + self.REDRAW_SECONDS

    def on_batch_end(self, trainer, batch, n_batches):
        if (batch + 1) % self._every == 0 or batch + 1 == n_batches:
            now = time.monotonic()
            redraw = now >= self._next_redraw
            if redraw and not self._shown:
                self._progress.start()  # the bar appears (transient: gone again at stop)
                self._shown = True
            self._progress.update(self._task, completed=batch + 1, refresh=redraw)
            if redraw:
                self._next_redraw = now + self.REDRAW_SECONDS

    def on_epoch_end(self, trainer, epoch, logs):
        self._hide()
        self._progress.console.print(format_logs(epoch, trainer.epochs, logs), highlight=False)

    def on_train_end(self, trainer):
        if self._progress is not None:
            self._hide()
            self._progress = None
            self._task = None

    def _hide(self):
        if self._shown:
            self._progress.stop()
            self._shown = False
