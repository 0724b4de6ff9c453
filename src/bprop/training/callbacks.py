"""Callbacks: objects the training loop tells about its events.

Hooks (all optional), called by ``Trainer`` with itself as ``trainer``:
    on_train_begin(trainer)
    on_epoch_begin(trainer, epoch)
    on_batch_end(trainer, batch, n_batches)
    on_epoch_end(trainer, epoch, logs)   logs: the epoch's metrics (mutable)
    on_epoch_recorded(trainer, epoch)    after every on_epoch_end: the logs are in
                                         trainer.history and trainer.epoch == epoch + 1
                                         (a checkpoint taken now resumes exactly)
    on_interrupt(trainer, signum)        SIGINT/SIGTERM (or a KeyboardInterrupt from a
                                         callback) after a finished batch, before fit
                                         raises TrainingInterrupted (see ``signals``)
    on_train_end(trainer)
    on_message(trainer, message)         an event in words (one line), see below
A callback stops training by setting ``trainer.stop_training = True``.

Events a user should see (early stopping, the restore of the best epoch's weights, a
change of the learning rate, divergence) are announced with ``trainer.report(message)``,
which hands the one-line message to every callback's ``on_message``: ``ProgressBar``
prints it, so ``verbose=False`` prints nothing and no code in the loop prints.

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

import math
import sys
import time


class Callback:
    #: Names of the metrics this callback adds to the epoch logs.
    provides: tuple[str, ...] = ()
    #: True for callbacks that change the learning rate (the epoch lines then show eta).
    changes_eta: bool = False

    def check(self, trainer, metrics: set[str]) -> None:
        """Raise ValueError if this callback cannot run with ``trainer``'s settings;
        ``metrics``: the names the epoch logs will have. Called before training."""

    def on_train_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer, epoch: int) -> None: ...
    def on_batch_end(self, trainer, batch: int, n_batches: int) -> None: ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None: ...
    def on_epoch_recorded(self, trainer, epoch: int) -> None: ...
    def on_interrupt(self, trainer, signum: int) -> None: ...
    def on_train_end(self, trainer) -> None: ...
    def on_message(self, trainer, message: str) -> None: ...

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


def format_logs(epoch: int, epochs: int, logs: dict, show_eta: bool = False) -> str:
    """One readable line per epoch: costs, accuracies (R² for regression), seconds, and with
    ``show_eta`` the learning rate the epoch used."""
    parts = [f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}"]
    for prefix, label in (("train", "train"), ("val", "val"), ("test", "test")):
        cost, acc, r2 = logs.get(f"{prefix}_cost"), logs.get(f"{prefix}_accuracy"), logs.get(f"{prefix}_r2")
        if cost is not None:
            parts.append(f"{label} cost {cost:.4f}" + (f" acc {100 * acc:6.2f}%" if acc is not None else "")
                         + (f" R² {r2:.4f}" if r2 is not None else ""))
    if show_eta and logs.get("eta") is not None:
        parts.append(f"eta {logs['eta']:.4g}")
    if "seconds" in logs:
        parts.append(f"{logs['seconds']:.2f}s")
    return "  ".join(parts)


def format_metric(name: str, value: float) -> str:
    """A monitored metric as a person reads it: accuracies in percent, costs to 4 digits."""
    return f"{100 * value:.2f}%" if name.endswith("accuracy") else f"{value:.4g}"


def format_duration(seconds: float | None) -> str:
    """0:01:05 (h:mm:ss, whole seconds rounded up, as rich's TimeRemainingColumn), or '-:--:--'
    when not known yet."""
    if seconds is None or not seconds >= 0 or seconds == float("inf"):
        return "-:--:--"
    seconds = math.ceil(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar(Callback):
    """A rich progress bar over each epoch's batches, one line per epoch, and the events.

    The bar shows the epoch, the batches done, the running training cost and accuracy
    (``Trainer.running_scores``: they lag by at most one scoring block of 4,096 rows, so
    a training set smaller than that shows them with the epoch's line only), samples per
    second, the epoch's ETA and the whole run's (the remaining epochs at the mean time
    of the last ones done, or at this epoch's rate during the first; early stopping may
    end the run sooner). Each finished epoch replaces the bar by one line (``format_logs``, with
    eta when a callback changes the learning rate), and ``on_message`` prints the
    events callbacks report (early stopping, eta changes, divergence) as lines.

    When stdout is not a terminal (a log file, a pipe, CI) there is no bar and every
    line is printed whole, never wrapped at the console's width.

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
        self._show_eta = False
        self._epoch_started = 0.0
        self._first_batch = 0

    def on_train_begin(self, trainer):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        if self.console is None:
            self.console = Console(file=sys.stdout, soft_wrap=True)
        self._show_eta = any(callback.changes_eta for callback in trainer.callbacks)
        self._progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(bar_width=10),
            MofNCompleteColumn(),
            # About 115 columns for MNIST: narrower than a 120-column terminal, so the "^C" a
            # terminal echoes stays on the bar's line, which stopping the bar then clears.
            TextColumn("batches  {task.fields[scores]}  ETA epoch {task.fields[epoch_eta]}, "
                       "run {task.fields[run_eta]}"),
            console=self.console,
            transient=True,
            auto_refresh=False,  # redrawn from on_batch_end, no refresh thread
            disable=not self.console.is_terminal,
        )

    def on_epoch_begin(self, trainer, epoch):
        n_batches = trainer.n_batches
        self._every = max(1, n_batches // 50)
        label = f"{epoch + 1}/{trainer.epochs}"
        fields = {"epoch": label, "scores": "", "epoch_eta": format_duration(None), "run_eta": format_duration(None)}
        self._first_batch = trainer.batch  # not 0 in an epoch resumed mid-way
        if self._task is None:
            self._task = self._progress.add_task("train", total=n_batches, completed=self._first_batch, **fields)
        else:
            self._progress.reset(self._task, total=n_batches, completed=self._first_batch, **fields)
        self._epoch_started = time.perf_counter()
        self._next_redraw = time.monotonic() + self.REDRAW_SECONDS

    def on_batch_end(self, trainer, batch, n_batches):
        if (batch + 1) % self._every == 0 or batch + 1 == n_batches:
            now = time.monotonic()
            if now < self._next_redraw:
                self._progress.update(self._task, completed=batch + 1)
                return
            self._progress.update(self._task, completed=batch + 1, **self._fields(trainer, batch + 1))
            if self._shown:
                self._progress.refresh()
            else:
                self._progress.start()  # the bar appears, drawn with these fields (transient: gone at stop)
                self._shown = True
            self._next_redraw = now + self.REDRAW_SECONDS

    def _fields(self, trainer, done: int) -> dict:
        """The running scores, samples per second and both ETAs, after ``done`` batches."""
        elapsed = time.perf_counter() - self._epoch_started
        batches = done - self._first_batch
        cost, accuracy = trainer.running_scores()
        parts = []
        if cost is not None:
            parts.append(f"cost {cost:.4f}" + (f"  acc {100 * accuracy:.2f}%" if accuracy is not None else ""))
        per_batch = elapsed / batches if batches > 0 and elapsed > 0 else None
        if per_batch is not None:
            parts.append(f"{min(batches * trainer.batch_size, trainer.n_samples) / elapsed:,.0f} samples/s")
        epoch_eta = run_eta = None
        if per_batch is not None:
            epoch_eta = (trainer.n_batches - done) * per_batch
            seconds = [row["seconds"] for row in trainer.history.epochs[-5:] if row.get("seconds")]
            per_epoch = sum(seconds) / len(seconds) if seconds else per_batch * trainer.n_batches
            run_eta = epoch_eta + max(0, trainer.epochs - trainer.epoch - 1) * per_epoch
        return {"scores": "  ".join(parts), "epoch_eta": format_duration(epoch_eta), "run_eta": format_duration(run_eta)}

    def on_epoch_end(self, trainer, epoch, logs):
        self._hide()
        self._print(format_logs(epoch, trainer.epochs, logs, show_eta=self._show_eta))

    def on_message(self, trainer, message):
        self._hide()
        self._print(message)

    def on_train_end(self, trainer):
        if self._progress is not None:
            self._hide()
            self._progress = None
            self._task = None

    def _print(self, text: str) -> None:
        # soft_wrap: one line however long, never cut at the console's width; markup off:
        # a message may hold brackets.
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def _hide(self):
        if self._shown:
            self._progress.stop()
            self._shown = False
