"""training/checkpoint.py: when the Checkpoint callback writes, and the events it writes on."""

import signal

import numpy as np
import pytest

from bprop import EarlyStopping, Network, Trainer, TrainingInterrupted
from bprop.training import Callback, read_checkpoint
from bprop.training import checkpoint as checkpoint_module


def data(m=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 5))
    return x, (x[:, 0] - x[:, 2] > 0).astype(int) + (x[:, 1] > 0.5)


class StopAfter(Callback):
    """Stops training after epoch ``epoch`` (0-based)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.epoch:
            trainer.stop_training = True


@pytest.mark.parametrize("epochs, every, stop, written", [
    (5, 1, None, [1, 2, 3, 4, 5]),
    (5, 2, None, [2, 4, 5]),  # every 2nd epoch, and the last
    (5, 2, 2, [2, 3]),  # and when a callback stops training
    (3, 7, None, [3]),
])
def test_checkpoint_every_k_epochs_the_last_and_on_stopping(tmp_path, monkeypatch, epochs, every, stop, written):
    seen = []
    save = checkpoint_module.save_checkpoint

    def spy(trainer, path):
        seen.append((trainer.epoch, trainer.batch, len(trainer.history)))
        save(trainer, path)

    monkeypatch.setattr(checkpoint_module, "save_checkpoint", spy)
    x, y = data()
    callbacks = [] if stop is None else [StopAfter(stop)]
    Network([5, 4, 3], seed=0).fit(x, y, epochs=epochs, batch_size=20, verbose=False, callbacks=callbacks,
                                   checkpoint=tmp_path / "ck.npz", checkpoint_every=every)
    assert seen == [(epoch, 0, epoch) for epoch in written]
    assert read_checkpoint(tmp_path / "ck.npz")["epoch"] == written[-1]


def test_the_checkpoint_callback_runs_after_the_others():
    user = EarlyStopping(patience=2)
    trainer = Trainer(Network([5, 4, 3], seed=0), epochs=1, batch_size=10, verbose=True, callbacks=[user],
                      checkpoint="ck.npz", checkpoint_every=3)
    assert [type(c).__name__ for c in trainer.callbacks] == ["ProgressBar", "EarlyStopping", "Checkpoint"]
    assert (trainer.callbacks[-1].path, trainer.callbacks[-1].every) == ("ck.npz", 3)
    assert [type(c).__name__ for c in Trainer(Network([5, 4, 3]), epochs=1, batch_size=1, verbose=False).callbacks] == []


class Events(Callback):
    def __init__(self, stop_at=None):
        self.events, self.stop_at = [], stop_at

    def on_epoch_end(self, trainer, epoch, logs):
        self.events.append(("end", epoch, trainer.epoch, len(trainer.history)))

    def on_epoch_recorded(self, trainer, epoch):
        self.events.append(("recorded", epoch, trainer.epoch, len(trainer.history)))

    def on_batch_end(self, trainer, batch, n_batches):
        if (trainer.epoch, batch) == self.stop_at:
            raise KeyboardInterrupt

    def on_interrupt(self, trainer, signum):
        self.events.append(("interrupt", signum, trainer.epoch, trainer.batch))


def test_on_epoch_recorded_sees_the_epoch_in_the_history_and_on_interrupt_the_position():
    x, y = data()
    events = Events(stop_at=(1, 1))
    with pytest.raises(TrainingInterrupted) as stop:
        Network([5, 4, 3], seed=0).fit(x, y, epochs=3, batch_size=20, verbose=False, callbacks=[events])
    assert events.events == [("end", 0, 0, 0), ("recorded", 0, 1, 1), ("interrupt", signal.SIGINT, 1, 2)]
    assert (stop.value.epoch, stop.value.batch, stop.value.checkpoint) == (1, 2, None)
