"""training/signals.py: SIGINT/SIGTERM are recorded, a second one stops at once, the old handlers come back."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from bprop import DivergenceError, Network
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
