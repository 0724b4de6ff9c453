"""training/signals.py: SIGINT/SIGTERM are recorded, a second one stops at once, the old handlers come back."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from bprop import DivergenceError, Network, TrainingInterrupted
from bprop.training.signals import SignalCatcher


def handlers():
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def send(signum):
    """Signal this process; Python runs the handler in the main thread at its next bytecode."""
    os.kill(os.getpid(), signum)
    for _ in range(100):  # bounded: the handler has run long before
        time.sleep(0.001)


def test_first_signal_is_recorded_a_second_raises_and_restore_puts_the_handlers_back():
    before = handlers()
    catcher = SignalCatcher()
    catcher.install()
    try:
        assert handlers() != before
        send(signal.SIGTERM)
        assert catcher.pending == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt, match="SIGINT"):
            send(signal.SIGINT)  # the first one is still pending: stop at once
        assert catcher.take() == signal.SIGTERM and catcher.pending is None
        send(signal.SIGINT)  # acted on: the next one is a first signal again
        assert catcher.take() == signal.SIGINT
    finally:
        catcher.restore()
    assert handlers() == before
    catcher.restore()  # twice: nothing more to put back
    assert handlers() == before


def test_outside_the_main_thread_nothing_is_installed():
    before = handlers()
    catcher = SignalCatcher()
    catcher.pending = signal.SIGINT
    seen = []

    def run():
        catcher.install()
        seen.append((handlers(), catcher.pending))
        catcher.restore()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [(before, None)]  # pending cleared, no handler replaced
    assert handlers() == before


def test_fit_puts_the_handlers_back_when_it_raises():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    before = handlers()
    with pytest.raises(DivergenceError):
        Network([3, 4, 2], seed=0).fit(x, y, epochs=2, batch_size=10, eta=1e30, verbose=False)
    assert handlers() == before


def test_a_signal_after_the_last_epoch_lets_the_finished_run_return(tmp_path):
    """Ctrl-C while the last epoch was being recorded raised TrainingInterrupted 'in epoch 4, after
    batch 0' of a 3-epoch run (the CLI: exit 130, 'continue with: bprop train --resume'), though
    nothing was left to do. The finished run now returns its history, as without the signal."""
    from bprop.training.callbacks import Callback

    class SignalInLastEpoch(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                send(signal.SIGINT)

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)
    before = handlers()
    net = Network([3, 4, 2], seed=0)
    try:
        history = net.fit(x, y, epochs=3, batch_size=10, verbose=False, checkpoint=tmp_path / "run.ckpt",
                          callbacks=[SignalInLastEpoch()])
    except TrainingInterrupted as stop:  # (a KeyboardInterrupt: uncaught, it would end the test session)
        pytest.fail(f"the finished run raised {stop}")
    assert len(history.epochs) == 3 and handlers() == before
    reference = Network([3, 4, 2], seed=0)
    reference.fit(x, y, epochs=3, batch_size=10, verbose=False)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, reference.weights))
