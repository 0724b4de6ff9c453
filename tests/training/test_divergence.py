"""Divergence (issue 15, item 8): a NaN or inf cost or parameter stops fit at once with
DivergenceError; the network keeps the parameters of the start of the diverged epoch;
no non-finite model or checkpoint is ever written."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

import bprop
from bprop import Adam, Callback, DivergenceError, EarlyStopping, Network
from bprop.training import read_checkpoint


def data(n=120, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(np.float32), rng.integers(0, classes, n)


def params(net):
    return [p.copy() for p in list(net.weights) + list(net.biases)]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Poison(Callback):
    """Sets w^1[0, 0] to NaN after batch ``batch`` (0-based) of epoch ``epoch`` (0-based)."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, trainer, batch, n_batches):
        if trainer.epoch == self.epoch and batch == self.batch:
            trainer.net.weights[0][0, 0] = np.nan


class RaiseEta(Callback):
    """At the start of epoch ``epoch`` (0-based), set the learning rate to ``eta``."""

    def __init__(self, epoch, eta):
        self.epoch, self.eta = epoch, eta

    def on_epoch_begin(self, trainer, epoch):
        if epoch == self.epoch:
            trainer.optimizer.eta = self.eta


def test_divergence_error_is_public_and_an_arithmetic_error():
    assert "DivergenceError" in bprop.__all__
    assert issubclass(DivergenceError, ArithmeticError)
    assert not issubclass(DivergenceError, ValueError)  # not mistaken for a refused input


def test_a_huge_learning_rate_stops_fit_in_the_first_epoch_with_the_cause():
    x, y = data()
    net = Network([6, 16, 3], hidden="relu", seed=0)
    before, rng_state = params(net), net.rng.bit_generator.state
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=5, batch_size=10, eta=1e30, verbose=False)
    error = caught.value
    message = str(error)
    assert error.epoch == 1 and error.n_batches == 12 and 1 <= error.batch <= 12
    assert f"epoch 1, batch {error.batch} of 12" in message
    assert not np.isfinite(error.value) and str(error.value) in message
    assert "the training cost is" in message
    assert "The learning rate 1e+30 is probably too large; try 0.1" in message
    assert "at the start of epoch 1" in message
    assert error.eta == 1e30 and len(error.history) == 0
    # The network is as it was before fit: the last finite weights, the same generator.
    assert same(params(net), before)
    assert net.rng.bit_generator.state == rng_state


def test_the_first_batch_with_a_non_finite_cost_is_named():
    """The cost is checked a block of batches at a time; the error still names the batch."""
    x, y = data()
    net = Network([6, 16, 3], hidden="tanh", seed=1)
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=2, batch_size=10, eta=0.1, verbose=False, callbacks=[Poison(0, 4)])
    # w^1 is NaN after batch 5 (1-based), so batch 6 is the first whose cost is NaN.
    assert caught.value.batch == 6
    assert "epoch 1, batch 6 of 12: the training cost is nan" in str(caught.value)


def test_a_later_epoch_keeps_the_weights_generator_and_optimizer_of_its_start(tmp_path):
    x, y = data()
    x_val, y_val = data(30, seed=1)
    twin = Network([6, 16, 3], hidden="relu", seed=2)
    twin_adam = Adam(0.01)
    twin.fit(x, y, epochs=2, batch_size=10, optimizer=twin_adam, verbose=False)

    net = Network([6, 16, 3], hidden="relu", seed=2)
    adam = Adam(0.01)
    path = tmp_path / "run.ckpt"
    written = {}

    class Record(Callback):
        def on_epoch_begin(self, trainer, epoch):
            if epoch == 2:
                written["digest"] = digest(path)

    callbacks = [Record(), EarlyStopping("val_cost", patience=5), Poison(2, 3)]
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=4, batch_size=10, optimizer=adam, validation=(x_val, y_val), callbacks=callbacks,
                checkpoint=path, verbose=False)
    assert caught.value.epoch == 3 and len(caught.value.history) == 2
    assert "at the start of epoch 3" in str(caught.value)
    assert f"the checkpoint {path} was not written for this epoch" in str(caught.value)
    # Parameters, generator and Adam's moments as after two good epochs (EarlyStopping
    # does not put its best epoch back over them).
    assert same(params(net), params(twin))
    assert net.rng.bit_generator.state == twin.rng.bit_generator.state
    assert adam.t == twin_adam.t and same(adam.m + adam.v, twin_adam.m + twin_adam.v)
    # The checkpoint still holds the end of epoch 2, byte for byte, and resumes.
    assert digest(path) == written["digest"]
    assert read_checkpoint(path)["epoch"] == 2
    resumed = Network([6, 16, 3], hidden="relu", seed=2)
    resumed.fit(x, y, epochs=3, batch_size=10, optimizer=Adam(0.01), validation=(x_val, y_val),
                callbacks=[Record(), EarlyStopping("val_cost", patience=5)], resume=path, verbose=False)
    assert all(np.isfinite(w).all() for w in resumed.weights)


def test_the_learning_rate_reported_is_the_one_in_use():
    x, y = data()
    net = Network([6, 16, 3], hidden="relu", seed=0)
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=3, batch_size=10, eta=0.1, verbose=False, callbacks=[RaiseEta(1, 1e35)])
    assert caught.value.epoch == 2 and caught.value.eta == 1e35
    assert "learning rate 1e+35 is probably too large" in str(caught.value)


def test_a_pre_existing_checkpoint_is_never_overwritten_by_a_diverged_epoch(tmp_path):
    x, y = data()
    path = tmp_path / "good.ckpt"
    Network([6, 16, 3], hidden="relu", seed=0).fit(x, y, epochs=1, batch_size=10, checkpoint=path, verbose=False)
    before = digest(path)
    with pytest.raises(DivergenceError):
        Network([6, 16, 3], hidden="relu", seed=0).fit(x, y, epochs=2, batch_size=10, eta=1e30,
                                                        checkpoint=path, verbose=False)
    assert digest(path) == before


def test_an_interruption_after_a_diverged_batch_writes_no_checkpoint(tmp_path):
    """Ctrl-C writes a mid-epoch checkpoint; with a NaN weight it raises DivergenceError instead."""
    x, y = data()
    path = tmp_path / "run.ckpt"

    class PoisonThenInterrupt(Callback):
        def on_batch_end(self, trainer, batch, n_batches):
            if batch == 2:
                trainer.net.weights[1][0, 0] = np.inf
                raise KeyboardInterrupt

    net = Network([6, 16, 3], hidden="relu", seed=0)
    before = params(net)
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=2, batch_size=10, callbacks=[PoisonThenInterrupt()], checkpoint=path, verbose=False)
    assert "epoch 1, batch 3 of 12: w^2 (net.weights[1]) is inf" in str(caught.value)
    assert not path.exists()
    assert same(params(net), before)


def test_save_checkpoint_refuses_non_finite_state(tmp_path):
    from bprop import Trainer

    net = Network([3, 4, 2], seed=0)
    trainer = Trainer(net, epochs=1, batch_size=2, verbose=False)
    path = tmp_path / "c.ckpt"
    net.biases[0][1] = np.nan
    with pytest.raises(ValueError, match=r"refusing to write the checkpoint .*b\^1 \(net.biases\[0\]\) holds nan"):
        trainer.save_checkpoint(path)
    assert not path.exists()


def test_save_refuses_non_finite_weights_and_leaves_the_file(tmp_path):
    net = Network([3, 4, 2], seed=0)
    path = tmp_path / "good.npz"
    net.save(path)
    before = digest(path)
    net.weights[1][0, 1] = -np.inf
    with pytest.raises(ValueError, match=r"refusing to save .*w\^2 \(net.weights\[1\]\) holds -inf"):
        net.save(path)
    assert digest(path) == before
    assert np.isfinite(bprop.load(path).weights[1]).all()
    assert [p.name for p in tmp_path.iterdir()] == ["good.npz"]  # no temporary file left behind


@pytest.mark.parametrize("name,eta,hint", [
    ("sgd", 5.0, "The learning rate 5 is probably too large; try 0.1"),
    ("adam", 0.5, "The learning rate 0.5 is probably too large; try 0.001"),
    ("sgd", 0.05, "may still be too large for this data: try 0.005"),
])
def test_the_hint_depends_on_the_optimizer_and_the_rate(name, eta, hint):
    from bprop.training.divergence import likely_cause

    assert hint in likely_cause(eta, name)


def test_bprop_train_exits_1_and_leaves_save_history_and_checkpoint_untouched(tmp_path):
    targets = {name: tmp_path / name for name in ("good.npz", "history.json", "run.ckpt")}
    for name, path in targets.items():
        path.write_bytes(f"a good {name} from an earlier run".encode())
    before = {name: digest(path) for name, path in targets.items()}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
        os.path.join(os.path.dirname(__file__), "..", "..", "src"), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, "-m", "bprop", "train", "--hidden", "relu", "--eta", "1e30", "--epochs", "2", "--quiet",
         "--save", str(targets["good.npz"]), "--history", str(targets["history.json"]),
         "--checkpoint", str(targets["run.ckpt"])],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "bprop train: error: training diverged in epoch 1, batch" in result.stderr
    assert "The learning rate 1e+30 is probably too large" in result.stderr
    assert {name: digest(path) for name, path in targets.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(targets)


def test_a_non_finite_validation_cost_with_finite_weights_blames_the_data():
    x, y = data()
    huge = np.full((4, 6), 3e38, dtype=np.float32)  # finite, but z^L overflows to inf
    net = Network([6, 16, 3], hidden="relu", seed=0)
    before = params(net)
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=2, batch_size=10, verbose=False, validation=(huge, [0, 1, 2, 0]))
    message = str(caught.value)
    assert caught.value.epoch == 1 and caught.value.batch is None
    assert message.startswith("training diverged in epoch 1: the val cost is ")
    assert "the validation data is the likely cause" in message and "learning rate" not in message
    assert same(params(net), before)



def test_a_regression_whose_validation_outputs_overflow_diverges_and_blames_the_learning_rate():
    """A 3-8-8-1 linear network at eta = 0.3, full batch: after epoch 7 the weights are finite and
    within bounds, but their products overflow z^L of the validation rows. The regression
    metrics raised scikit-learn's "Input contains infinity" ValueError from fit (bprop train:
    exit 2, as bad data, with the weights of the bad epoch kept); now it is a divergence, rolled
    back to the start of epoch 7, and since the training rows overflow as well, the learning rate
    is blamed rather than the validation data."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]

    def make():
        return Network([3, 8, 8, 1], hidden="identity", output="identity", cost="quadratic", seed=0)

    net = make()
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=100, batch_size=40, eta=0.3, verbose=False, validation=(x, y))
    message = str(caught.value)
    assert message.startswith("training diverged in epoch 7: the val cost is inf.")
    assert "The learning rate 0.3 is probably too large" in message and "likely cause" not in message
    six = make()
    six.fit(x, y, epochs=6, batch_size=40, eta=0.3, verbose=False, validation=(x, y))
    assert same(params(net), params(six))


def test_weights_past_what_a_model_file_may_hold_are_a_divergence(tmp_path):
    """Full-batch steps at eta = 4 make the weights grow 3x an epoch. They passed sqrt(float32's
    largest number) = 1.84e19, which bprop.load and resume refuse ("the network's outputs would
    overflow"), in epoch 31, and fit(epochs=60) ended normally with weights near 1e38: bprop train
    said 'model saved to m.npz' (exit 0), and neither that model nor the checkpoint could be read
    back. Now that epoch diverges: the weights go back to the start of epoch 31, and what the run
    wrote, or saves next, reads back."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]
    net = Network([3, 1], output="identity", cost="quadratic", seed=0)
    checkpoint = tmp_path / "run.ckpt"
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=60, batch_size=40, eta=4.0, verbose=False, checkpoint=checkpoint)
    assert caught.value.epoch == 31 and len(caught.value.history) == 30
    assert "w^1 (net.weights[0]), grown past sqrt(float32's largest number) = 1.84e+19, is " in str(caught.value)
    assert 1e18 < np.abs(net.weights[0]).max() <= np.sqrt(np.finfo(np.float32).max)
    net.save(tmp_path / "m.npz")
    assert same(params(bprop.load(tmp_path / "m.npz")), params(net))
    assert read_checkpoint(checkpoint)["epoch"] == 30
    resumed = Network([3, 1], output="identity", cost="quadratic", seed=0)
    with pytest.raises(DivergenceError) as again:  # the checkpoint reads back, and the run diverges where it did
        resumed.fit(x, y, epochs=60, batch_size=40, eta=4.0, verbose=False, resume=checkpoint)
    assert again.value.epoch == 31 and same(params(resumed), params(net))


@pytest.mark.parametrize("poisoned", [100, 408, 409, 450])
def test_the_bad_batch_is_named_across_scoring_blocks(poisoned):
    """5,000 samples at batch 10: the running cost is scored in blocks of 4,096 rows (409
    batches and a part), so a bad batch in the first block is seen mid-epoch and one in the
    second at the epoch's end; both are named exactly."""
    from bprop.training.scores import BLOCK_ROWS

    assert BLOCK_ROWS == 4096
    x, y = data(n=5000)
    net = Network([6, 8, 3], hidden="tanh", seed=0)
    before = params(net)
    with pytest.raises(DivergenceError) as caught:
        net.fit(x, y, epochs=1, batch_size=10, verbose=False, callbacks=[Poison(0, poisoned)])
    assert caught.value.batch == poisoned + 2  # 1-based: the first batch trained with the NaN weight
    assert f"batch {poisoned + 2} of 500: the training cost is nan" in str(caught.value)
    assert same(params(net), before)


def test_an_optimizer_state_that_overflows_is_a_divergence_and_is_rolled_back():
    """Inputs near 1e30 in float32: Adam's v (a mean of g²) overflows to inf while every weight
    stays finite (its steps m / sqrt(v) are then 0). That is a divergence: the epoch is rolled
    back, the error names the state, and the optimizer holds finite numbers again (it made
    the next rollback fail with 'optimizer state v0 must hold finite floats')."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) * 1e30
    y = (x[:, 0] > 0).astype(int)
    net = Network([4, 4, 1], seed=0)
    start = [np.array(p) for p, _ in net.trainable_parameters()]
    optimizer = Adam()
    with pytest.raises(DivergenceError, match="adam optimizer's state v0 is inf") as stop:
        net.fit(x, y, epochs=3, batch_size=50, optimizer=optimizer, verbose=False)
    assert "running statistics overflowed float32" in str(stop.value)
    assert all(np.array_equal(a, p) for a, (p, _) in zip(start, net.trainable_parameters()))
    assert all(np.isfinite(v).all() for v in optimizer.v) and optimizer.t == 0
