"""SIGINT (Ctrl-C) and SIGTERM during ``fit``: finish the batch, save, stop cleanly.

While ``Trainer.fit`` runs (``handle_signals=True``, the main thread), a ``SignalCatcher``
replaces the handlers of both signals. The first signal is only recorded (``pending``):
the loop looks at it after each batch, tells the callbacks (``on_interrupt``: the
checkpoint is written then) and raises ``TrainingInterrupted``. A second signal while
the first is still pending raises ``KeyboardInterrupt`` at once (a way out of a batch or
an evaluation that takes too long; no checkpoint). The previous handlers are put back
when ``fit`` ends, however it ends.

Python runs a handler between two bytecodes of the main thread, so a signal that
arrives inside a NumPy call is acted on when the call returns; the loop reads
``pending`` only between batches, so a checkpoint is never taken mid-update.
"""

from __future__ import annotations

import signal
import threading

#: The signals ``fit`` catches.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on SIGINT/SIGTERM (or a KeyboardInterrupt from a callback)
    after finishing a batch.

    Attributes:
        epoch, batch: where it stopped (0-based epoch; batches of it done).
        checkpoint: the checkpoint file written, or None.
        signum: the signal (None for a KeyboardInterrupt raised by a callback).
        history: the History of the finished epochs.
        finished_params: copies of the trainable parameters after the last finished
            epoch (``history``'s last), in ``net.trainable_parameters()`` order; None
            when no epoch finished in this call (or it resumed mid-epoch).
    """

    def __init__(self, epoch: int, batch: int, checkpoint: str | None, signum: int | None = None, *,
                 history=None, finished_params=None):
        self.epoch, self.batch, self.checkpoint, self.signum = epoch, batch, checkpoint, signum
        self.history, self.finished_params = history, finished_params
        where = f"epoch {epoch + 1}, after batch {batch}"
        saved = f"; checkpoint saved to {checkpoint}" if checkpoint else "; no checkpoint path was given"
        super().__init__(f"training interrupted in {where}{saved}")


class SignalCatcher:
    """Records SIGINT/SIGTERM instead of raising KeyboardInterrupt, between ``install``
    and ``restore``.

    Attributes:
        pending: the signal number received and not yet acted on, or None. The loop
            sets it too (to SIGINT) when a callback raises KeyboardInterrupt, and
            clears it when it stops.
    """

    def __init__(self):
        self.pending: int | None = None
        self._previous: dict | None = None

    def install(self) -> None:
        """Catch both signals from now on (main thread only: elsewhere Python refuses to
        install handlers, and nothing is installed; ``pending`` is cleared either way)."""
        self.pending = None
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum, frame):
            if self.pending is not None:  # a second signal: stop at once
                raise KeyboardInterrupt(signal.Signals(signum).name)
            self.pending = signum

        self._previous = {}
        for signum in SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handler)

    def restore(self) -> None:
        """Put back the handlers ``install`` replaced (none: nothing to do)."""
        for signum, handler in (self._previous or {}).items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous = None

    def take(self) -> int | None:
        """The pending signal (None when there is none), now no longer pending."""
        signum, self.pending = self.pending, None
        return signum
