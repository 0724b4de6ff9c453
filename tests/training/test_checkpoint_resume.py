"""Checkpoints: resuming gives bit-identical weights; interruptions save and exit cleanly."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bprop import EarlyStopping, HalveOnPlateau, Momentum, Network, TrainingInterrupted
from bprop.io import load_arrays
from bprop.training import Callback, OtherDataError, read_checkpoint


def data(m=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 5))
    return x, (x[:, 0] - x[:, 2] > 0).astype(int) + (x[:, 1] > 0.5)


def make_net():
    return Network([5, 8, 6, 3], hidden="relu", seed=7, dropout=0.3, regularizer=("l2", 0.5))


def options(**extra):
    x, y = data()
    base = dict(epochs=4, batch_size=10, eta=0.05, verbose=False, validation=(x[:20], y[:20]))
    base.update(extra)
    return base


def optimizers():
    return {"sgd": lambda: "sgd", "nesterov": lambda: Momentum(0.05, 0.9, nesterov=True), "adam": lambda: "adam"}


def callbacks():
    return [HalveOnPlateau(patience=1, max_halvings=3), EarlyStopping(patience=10)]


def same_weights(a, b):
    return all(np.array_equal(p, q) for (p, _), (q, _) in zip(a.trainable_parameters(), b.trainable_parameters()))


@pytest.mark.parametrize("name", ["sgd", "nesterov", "adam"])
def test_two_epochs_plus_resume_equals_four_straight(tmp_path, name):
    x, y = data()
    straight = make_net()
    full = straight.fit(x, y, optimizer=optimizers()[name](), callbacks=callbacks(), **options())

    first = make_net()
    first.fit(x, y, optimizer=optimizers()[name](), callbacks=callbacks(), checkpoint=tmp_path / "ck.npz",
              **options(epochs=2))
    assert read_checkpoint(tmp_path / "ck.npz")["epoch"] == 2
    resumed = make_net()
    history = resumed.fit(x, y, optimizer=optimizers()[name](), callbacks=callbacks(),
                          resume=tmp_path / "ck.npz", **options())
    assert same_weights(straight, resumed)
    assert len(history) == 4
    assert [row["val_accuracy"] for row in history] == full["val_accuracy"]


def without_seconds(history):
    """The history's rows without the wall time, which no two runs share."""
    return [{key: value for key, value in row.items() if key != "seconds"} for row in history]


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, trainer, batch, n_batches):
        if (trainer.epoch, batch) == self.at:
            raise KeyboardInterrupt


def test_keyboard_interrupt_mid_epoch_saves_and_resume_is_bit_identical(tmp_path):
    x, y = data()
    straight = make_net()
    full = straight.fit(x, y, optimizer="adam", callbacks=[InterruptAt(-1, -1)], **options())

    path = tmp_path / "ck.npz"
    interrupted = make_net()
    with pytest.raises(TrainingInterrupted) as stop:
        interrupted.fit(x, y, optimizer="adam", callbacks=[InterruptAt(1, 2)], checkpoint=path, **options())
    assert (stop.value.epoch, stop.value.batch, stop.value.checkpoint) == (1, 3, str(path))
    config = read_checkpoint(path)
    assert (config["epoch"], config["batch"]) == (1, 3) and len(config["history"]) == 1
    assert "order" in load_arrays(path, kind="checkpoint")[0]

    resumed = make_net()
    history = resumed.fit(x, y, optimizer="adam", callbacks=[InterruptAt(-1, -1)], resume=path, **options())
    assert same_weights(straight, resumed)
    assert history["epoch"] == [1, 2, 3, 4]
    # The interrupted epoch's running figures: the batches before the interruption were
    # scored into the checkpoint's totals, the rest after resuming, batch by batch in the
    # order trained, so the rows are the same bits (the cost differed in its last bit).
    assert without_seconds(history) == without_seconds(full)



@pytest.mark.parametrize("batch", [102, 1460])
def test_a_resumed_epoch_s_running_cost_is_the_same_bits(tmp_path, batch):
    """3,000 rows at batch size 2, interrupted in the second epoch: the running cost was
    summed a block of rows at a time, and the checkpoint cut the interrupted block in two,
    whose sums added otherwise in the last bit (train_cost 0.5648713574137785 resumed after
    batch 102 or 1460, 0.5648713574137784 straight: tiny costs and large ones meet). Now each
    batch's sum is added in order, and the resumed history is the straight one's, bit for bit."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 5))
    y = (x[:, 0] - x[:, 2] > 0).astype(int) * 2
    x[:, [0, 2]] *= 60  # confident answers: tiny costs among large ones
    y[::17] = 1

    def make():
        return Network([5, 8, 3], hidden="relu", seed=1)

    settings = dict(epochs=2, batch_size=2, eta=0.01, verbose=False)
    full = make().fit(x, y, **settings)
    path = tmp_path / "ck.npz"
    with pytest.raises(TrainingInterrupted):
        make().fit(x, y, callbacks=[InterruptAt(1, batch)], checkpoint=path, **settings)
    assert read_checkpoint(path)["batch"] == batch + 1
    assert without_seconds(make().fit(x, y, resume=path, **settings)) == without_seconds(full)


def test_signal_handlers_are_restored_after_fit():
    x, y = data()
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    make_net().fit(x, y, **options(epochs=1))
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_resume_refuses_another_network_or_batch_size(tmp_path):
    x, y = data()
    make_net().fit(x, y, checkpoint=tmp_path / "ck.npz", **options(epochs=1))
    with pytest.raises(ValueError, match="differs from this one"):
        Network([5, 9, 3], seed=0).fit(x, y, resume=tmp_path / "ck.npz", **options())
    with pytest.raises(ValueError, match="batch size"):
        make_net().fit(x, y, resume=tmp_path / "ck.npz", **options(batch_size=7))
    with pytest.raises(ValueError, match="not a bprop file"):
        (tmp_path / "junk.npz").write_bytes(b"junk")
        make_net().fit(x, y, resume=tmp_path / "junk.npz", **options())


SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from bprop import Network, TrainingInterrupted
    from bprop.training import Callback

    class Kill(Callback):
        def on_batch_end(self, trainer, batch, n_batches):
            if trainer.epoch == 1 and batch == 1:
                os.kill(os.getpid(), getattr(signal, sys.argv[2]))  # as if from outside

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)); y = (x[:, 0] - x[:, 2] > 0).astype(int) + (x[:, 1] > 0.5)
    net = Network([5, 8, 6, 3], hidden="relu", seed=7, dropout=0.3, regularizer=("l2", 0.5))
    try:
        net.fit(x, y, epochs=4, batch_size=10, eta=0.05, verbose=False, optimizer="adam",
                validation=(x[:20], y[:20]), callbacks=[Kill()], checkpoint=sys.argv[1])
    except TrainingInterrupted as stop:
        print("stopped", stop.epoch, stop.batch, stop.signum)
        sys.exit(3)
""")


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_signal_in_a_subprocess_checkpoints_and_resumes(tmp_path, signame):
    x, y = data()
    path = tmp_path / "ck.npz"
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(path), signame], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONHASHSEED": "0"})
    assert result.returncode == 3, result.stderr
    assert result.stdout.split() == ["stopped", "1", "2", str(int(getattr(signal, signame)))]
    straight = make_net()
    straight.fit(x, y, optimizer="adam", callbacks=[InterruptAt(-1, -1)], **options())
    resumed = make_net()
    resumed.fit(x, y, optimizer="adam", callbacks=[InterruptAt(-1, -1)], resume=path, **options())
    assert same_weights(straight, resumed)


def test_resume_refuses_other_data_or_other_sample_weights(tmp_path):
    """The same size is not the same data: a run resumed on other rows, targets, weights or
    validation set would not end where the uninterrupted run does."""
    x, y = data()
    weights = np.linspace(0.5, 2.0, x.shape[0])
    path = tmp_path / "ck.npz"
    make_net().fit(x, y, checkpoint=path, sample_weight=weights, **options(epochs=1))
    before = {name: param.copy() for name, (param, _) in enumerate(make_net().trainable_parameters())}
    other_x = x.copy()
    other_x[3, 1] += 1e-9
    other_y = y.copy()
    other_y[0] = (y[0] + 1) % 3
    other_validation = (x[20:40], y[20:40])
    for changed in (dict(x=other_x), dict(y=other_y), dict(sample_weight=None), dict(sample_weight=weights * 2),
                    dict(validation=other_validation)):
        args = dict(x=x, y=y, sample_weight=weights)
        args.update({key: value for key, value in changed.items() if key in args})
        net = make_net()
        with pytest.raises(OtherDataError, match="other data"):
            net.fit(args["x"], args["y"], sample_weight=args["sample_weight"], resume=path,
                    **options(**{key: value for key, value in changed.items() if key == "validation"}))
        assert all(np.array_equal(before[i], p) for i, (p, _) in enumerate(net.trainable_parameters()))
    # the same data resumes, and ends where the uninterrupted weighted run does
    straight = make_net()
    straight.fit(x, y, sample_weight=weights, **options())
    resumed = make_net()
    resumed.fit(x, y, sample_weight=weights, resume=path, **options())
    assert same_weights(straight, resumed)


def test_resume_refuses_the_same_sets_under_other_names(tmp_path):
    """The digest covers which set is which: the validation set given as monitor["test"], or
    two monitored sets with their names swapped, are the same arrays in the same order, but the
    resumed history would file one set's figures under the other's name from that epoch on
    (val_* for the first epochs, test_* after; t_cost of set a, then of set b)."""
    x, y = data()
    a, b = (x[:20], y[:20]), (x[20:40], y[20:40])
    cases = [(dict(validation=a), dict(validation=None, monitor={"test": a})),
             (dict(validation=None, monitor={"t": a, "u": b}), dict(validation=None, monitor={"u": a, "t": b}))]
    for index, (written, resumed) in enumerate(cases):
        path = tmp_path / f"ck{index}.npz"
        make_net().fit(x, y, checkpoint=path, **options(epochs=1, **written))
        net = make_net()
        before = [param.copy() for param, _ in net.trainable_parameters()]
        with pytest.raises(ValueError, match="other data"):
            net.fit(x, y, resume=path, **options(**resumed))
        assert all(np.array_equal(old, p) for old, (p, _) in zip(before, net.trainable_parameters()))
        history = make_net().fit(x, y, resume=path, **options(**written))  # the same names resume
        assert len(history) == 4


def test_a_checkpoint_without_a_data_digest_still_resumes(tmp_path):
    """Checkpoints written before the digest existed have no "data" field: they resume unchecked."""
    from bprop.io import save_arrays

    x, y = data()
    path = tmp_path / "ck.npz"
    make_net().fit(x, y, checkpoint=path, **options(epochs=2))
    arrays, config = load_arrays(path, kind="checkpoint")
    assert len(config.pop("data")) == 64
    save_arrays(path, arrays, config, kind="checkpoint")
    straight = make_net()
    straight.fit(x, y, **options())
    resumed = make_net()
    resumed.fit(x, y, resume=path, **options())
    assert same_weights(straight, resumed)


def test_a_weighted_run_interrupted_mid_epoch_resumes_with_its_weighted_totals(tmp_path):
    """With sample weights the running totals are Σ w_x C_x and Σ w_x [x right] (not a count):
    the mid-epoch checkpoint keeps them, and the resumed run's figures are the straight run's."""
    x, y = data()
    weights = np.random.default_rng(5).uniform(0.1, 3.0, x.shape[0])
    straight = make_net()
    full = straight.fit(x, y, optimizer="adam", sample_weight=weights, **options())
    path = tmp_path / "ck.npz"
    with pytest.raises(TrainingInterrupted):
        make_net().fit(x, y, optimizer="adam", sample_weight=weights, callbacks=[InterruptAt(1, 2)],
                       checkpoint=path, **options())
    correct = read_checkpoint(path)["totals"]["correct"]
    assert isinstance(correct, float) and 0 < correct < weights.sum()
    resumed = make_net()
    history = resumed.fit(x, y, optimizer="adam", sample_weight=weights, resume=path, **options())
    assert same_weights(straight, resumed)
    assert without_seconds(history) == without_seconds(full)


def test_resume_refuses_a_network_that_standardizes_what_the_checkpoint_did_not(tmp_path):
    """A checkpoint trained on the targets as they are, resumed by a network that standardizes them
    (or the other way round, or with another input preprocessing), names the difference."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 3))
    y = 1e3 + 50 * x[:, 0]

    def regressor(**extra):
        return Network([3, 4, 1], output="identity", seed=0, dtype="float64", **extra)

    cases = (({}, dict(target_preprocessing="standardize"), "target_preprocessing"),
             (dict(target_preprocessing="standardize"), {}, "target_preprocessing"),
             ({}, dict(preprocessing="standardize"), "preprocessing"))
    for index, (first, second, key) in enumerate(cases):
        path = tmp_path / f"ck{index}.npz"
        regressor(**first).fit(x, y, epochs=1, batch_size=10, optimizer="adam", verbose=False, checkpoint=path)
        with pytest.raises(ValueError, match=f"differs from this one \\({key}:"):
            regressor(**second).fit(x, y, epochs=2, batch_size=10, optimizer="adam", verbose=False, resume=path)
