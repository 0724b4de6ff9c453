"""training/checkpoint.py: when the Checkpoint callback writes, the events it writes on, and
files written before checkpoints left trainer.py (bprop at fa242e3) still load."""

import signal
import warnings
from pathlib import Path

import numpy as np
import pytest

import bprop
from bprop import Adam, EarlyStopping, HalveOnPlateau, Network, Trainer, TrainingInterrupted
from bprop.training import BlasThreadsWarning, Callback, read_checkpoint
from bprop.training import checkpoint as checkpoint_module

DATA = Path(__file__).parent / "data"


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


def fixture_run(**extra):
    """The run of data/checkpoint_v1.npz (written by bprop at fa242e3, interrupted after batch 3 of epoch 2)."""
    x, y = data()
    net = Network([5, 8, 3], hidden="relu", seed=7, regularizer=("l2", 0.5), dtype="float64")
    history = net.fit(x, y, epochs=4, batch_size=10, verbose=False, optimizer=Adam(0.01),
                      callbacks=[HalveOnPlateau(patience=1, max_halvings=3), EarlyStopping(patience=10)],
                      validation=(x[:20], y[:20]), **extra)
    return net, history


def test_a_checkpoint_written_before_the_split_resumes_where_the_uninterrupted_run_ends():
    config = read_checkpoint(DATA / "checkpoint_v1.npz")
    assert (config["epoch"], config["batch"], config["settings"]) == (1, 3, {"note": "written by bprop fa242e3"})
    straight, full = fixture_run()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BlasThreadsWarning)  # written with 2 BLAS threads
        resumed, history = fixture_run(resume=DATA / "checkpoint_v1.npz")
    assert history["epoch"] == [1, 2, 3, 4]
    assert history["train_accuracy"] == full["train_accuracy"]
    # To rounding: the first 1.3 epochs were computed by the code of fa242e3 (on this machine's
    # BLAS); since the single training step (6e6ccac) the last bits may differ (measured: 2.8e-17).
    for (a, _), (b, _) in zip(straight.trainable_parameters(), resumed.trainable_parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_a_model_file_written_before_the_split_loads():
    net = bprop.load(DATA / "model_v1.npz")
    fresh = Network([5, 8, 3], hidden="relu", seed=7, regularizer=("l2", 0.5), dtype="float64")
    assert net.config()["layers"] == fresh.config()["layers"] and net.dtype == np.float64
    for a, b in zip([*net.weights, *net.biases], [*fresh.weights, *fresh.biases]):
        assert np.array_equal(a, b)
