"""Tampered checkpoints (issue 16, failure 1): refused with one clear error BEFORE anything changes.

Each case edits one part of a real mid-epoch checkpoint (Adam, a schedule and early
stopping, so every kind of state is present) and writes it back as a valid
container; resuming must raise FileFormatError and leave the network, its
generator, the optimizer and the callbacks exactly as they were.
"""

import copy
import re

import numpy as np
import pytest

from bprop import Adam, EarlyStopping, HalveOnPlateau, Network, TrainingInterrupted
from bprop.io import FileFormatError
from bprop.training import Callback

from .builders import rewrite_checkpoint, run_cli


def data(m=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 5))
    return x, (x[:, 0] - x[:, 2] > 0).astype(int) + (x[:, 1] > 0.5)


def make_net():
    return Network([5, 8, 3], hidden="relu", seed=7, regularizer=("l2", 0.5))


def parts():
    return Adam(0.01), [HalveOnPlateau(patience=1, max_halvings=3), EarlyStopping(patience=10)]


class StopAt(Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, trainer, batch, n_batches):
        if (trainer.epoch, batch) == self.at:
            raise KeyboardInterrupt


OPTIONS = dict(epochs=4, batch_size=10, verbose=False)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint written mid-epoch 2 (after batch 3 of 6): order, totals, best weights, Adam moments."""
    path = tmp_path_factory.mktemp("ck") / "ck.npz"
    x, y = data()
    optimizer, callbacks = parts()
    with pytest.raises(TrainingInterrupted):
        make_net().fit(x, y, optimizer=optimizer, callbacks=callbacks + [StopAt(1, 2)], checkpoint=path,
                       validation=(x[:20], y[:20]), **OPTIONS)
    return path


def snapshot(net, optimizer, callbacks):
    return {
        "params": [(p.tobytes(), p.dtype.str, p.shape) for layer in net.layers for p in layer.params.values()],
        "rng": copy.deepcopy(net.rng.bit_generator.state),
        "regularizer_n": net.regularizer.n,
        "optimizer": {k: np.asarray(v).tobytes() for k, v in optimizer.state_dict().items()},
        "callbacks": [repr(sorted((k, repr(v)) for k, v in cb.state_dict().items())) for cb in callbacks],
    }


def resume(path):
    x, y = data()
    net = make_net()
    optimizer, callbacks = parts()
    before = snapshot(net, optimizer, callbacks)
    error = None
    try:
        net.fit(x, y, optimizer=optimizer, callbacks=callbacks, resume=path, validation=(x[:20], y[:20]), **OPTIONS)
    except FileFormatError as caught:
        error = caught
    return error, before, snapshot(net, optimizer, callbacks)


def set_path(config, keys, value):
    target = config
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def config_change(*keys, value):
    return lambda arrays, config: set_path(config, keys, value)


def array_change(name, value):
    def change(arrays, config):
        arrays[name] = np.asarray(value(arrays[name]) if callable(value) else value)
    return change


TAMPERED = {
    # The 29 of the fuzzing pass, by kind.
    "NaN parameters": (array_change("param0.weights", lambda w: np.full_like(w, np.nan)), "NaN or inf"),
    "inf bias": (array_change("param1.biases", lambda b: np.full_like(b, np.inf)), "NaN or inf"),
    "huge parameters": (array_change("param0.weights", lambda w: np.full_like(w, 3e38)), "magnitude"),
    "parameter of another dtype": (array_change("param0.weights", lambda w: w.astype(np.float64)), "float64"),
    "RNG state of wrong type": (config_change("rng", "state", "state", value="x"), "RNG state is invalid"),
    "RNG state out of range": (config_change("rng", "state", "state", value=2**200), "RNG state"),
    "RNG of another generator": (config_change("rng", "bit_generator", value="MT19937"), "not a PCG64 state"),
    "RNG state not an object": (config_change("rng", value=[1, 2]), "'rng' must be a JSON object"),
    "order out of range": (array_change("order", lambda o: o + 1000), "not a permutation"),
    "order of all zeros": (array_change("order", lambda o: np.zeros_like(o)), "not a permutation"),
    "order of floats": (array_change("order", lambda o: o.astype(np.float64)), "must be 60 integers"),
    "order of another length": (array_change("order", lambda o: o[:-1]), "trained on 59 samples"),
    "order missing mid-epoch": (lambda arrays, config: arrays.pop("order"), "without its permutation"),
    "totals missing": (lambda arrays, config: config.pop("totals"), "lacks the key 'totals'"),
    "totals correct negative": (config_change("totals", "correct", value=-1), "'correct' must be in"),
    "totals cost NaN": (config_change("totals", "cost", value=float("nan")), "'cost' must be a finite"),
    "totals norm_sums of wrong length": (config_change("totals", "norm_sums", value=[0.0]), "norm_sums"),
    "totals with an extra key": (config_change("totals", "evil", value=1), "unknown keys"),
    "batch 10^6": (config_change("batch", value=10**6), "at batch 1000000"),
    "batch negative": (config_change("batch", value=-1), "'batch' must be in"),
    "epoch -5": (config_change("epoch", value=-5), "'epoch' must be in"),
    "epoch beyond the history": (config_change("epoch", value=3), "at epoch 3 but its history has 1"),
    "history 'abc'": (config_change("history", value="abc"), "'history' must be a list"),
    "history row of strings": (config_change("history", value=[{"train_cost": "low"}]), "number or null"),
    "stop_training 'yes'": (config_change("stop_training", value="yes"), "'stop_training' must be true or false"),
    "checkpoint version 2": (config_change("checkpoint_version", value=2), "'checkpoint_version' must be one of 1"),
    "opt.eta NaN": (array_change("opt.eta", np.nan), "'eta' must be finite and > 0"),
    "opt.eta -1 (gradient ascent)": (array_change("opt.eta", -1.0), "'eta' must be finite and > 0"),
    "opt.eta an array": (array_change("opt.eta", np.ones(3)), "'eta' must be a number"),
    "Adam t -1": (array_change("opt.t", np.int64(-1)), "'t' must be an integer >= 0"),
    "Adam t a float": (array_change("opt.t", 2.5), "'t' must be an integer"),
    "Adam beta1 1.5": (array_change("opt.beta1", 1.5), "'beta1' must be finite and in \\[0, 1\\)"),
    "Adam epsilon 0": (array_change("opt.epsilon", 0.0), "'epsilon' must be finite and > 0"),
    "Adam m of wrong shape": (array_change("opt.m0", np.zeros((8, 3), np.float32)), "m0.*shape|no parameter's shape"),
    "Adam v negative": (array_change("opt.v1", lambda v: v - 1), "negative"),
    "Adam moment missing": (lambda arrays, config: arrays.pop("opt.m3"), "m0, m1, ... are not numbered|has 3 m"),
    "optimizer unknown": (config_change("optimizer", "name", value="nope"), "unknown optimizer 'nope'"),
    "unexpected array": (array_change("evil", np.zeros(3)), "unexpected arrays \\['evil'\\]"),
    "EarlyStopping n_best 50": (config_change("callbacks", 1, "state", "n_best", value=50), "best0..best49"),
    "EarlyStopping wait -1": (config_change("callbacks", 1, "state", "wait", value=-1), "'wait' must be in"),
    "EarlyStopping best NaN": (array_change("cb1.best0", lambda b: np.full_like(b, np.nan)), "finite floats"),
    "EarlyStopping best of wrong shape": (array_change("cb1.best1", np.zeros(3, np.float32)), "best1 has shape"),
    "HalveOnPlateau halvings 99": (config_change("callbacks", 0, "state", "halvings", value=99), "'halvings'"),
    "HalveOnPlateau best 'x'": (config_change("callbacks", 0, "state", "best", value="x"), "'best' must be a number"),
    "callbacks of other classes": (config_change("callbacks", 0, "class", value="StepDecay"), "resume with the same"),
    "callbacks not a list": (config_change("callbacks", value={}), "'callbacks' must be a list"),
    "settings 5": (config_change("settings", value=5), "'settings' must be a JSON object"),
    "another network": (config_change("model", "layers", 0, "n_out", value=9), "differs from this one"),
    "batch size 'ten'": (config_change("batch_size", value="ten"), "'batch_size' must be an integer"),
    "BLAS threads 0": (config_change("blas_threads", value=0), "'blas_threads' must be in \\[1, 65536\\]"),
    "BLAS threads 'all'": (config_change("blas_threads", value="all"), "'blas_threads' must be an integer"),
    "data digest not hex": (config_change("data", value="x" * 64), "'data' must be a SHA-256 digest"),
    "data digest of other data": (config_change("data", value="0" * 64), "trained on other data"),
}


def test_the_untampered_rewrite_resumes(checkpoint, tmp_path):
    # The rewrite itself keeps a checkpoint valid, so each refusal below is about its one change.
    rewrite_checkpoint(checkpoint, tmp_path / "same.npz", lambda arrays, config: None)
    error, before, after = resume(tmp_path / "same.npz")
    assert error is None
    assert after["params"] != before["params"]  # resumed and trained on


@pytest.mark.parametrize("case", list(TAMPERED))
def test_tampered_checkpoint_is_refused_and_changes_nothing(checkpoint, tmp_path, case):
    change, message = TAMPERED[case]
    path = tmp_path / "tampered.npz"
    rewrite_checkpoint(checkpoint, path, change)
    error, before, after = resume(path)
    assert error is not None, f"{case}: accepted"
    assert str(path) in str(error)
    assert re.search(message, str(error)), str(error)
    assert after == before


# --------------------------------------------------------------------------
# Tampered CLI settings (KeyError / AttributeError tracebacks before)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "ck.npz"
    code, out, err = run_cli("train", "--sizes", "64,10", "--epochs", "1", "--quiet", "--checkpoint", path)
    assert code == 0, err
    return path


@pytest.mark.parametrize("key, value, message", [
    ("dataset", "nope", "'dataset' must be one of 'digits', 'mnist'"),
    ("schedule", 5, "'schedule' must be a string"),
    ("schedule", "sometimes", "--schedule must be"),
    ("sizes", [64, -1], "'sizes' item 1 must be in"),
    ("eta", -1, "'eta' must be > 0"),
    ("hidden", "evil", "unknown activation 'evil'"),
    ("optimizer", "nope", "'optimizer' must be one of"),
    ("monitor_test", "yes", "'monitor_test' must be true or false"),
    ("save", 5, "'save' must be a string"),
    ("history", ["h.json"], "'history' must be a string"),
    ("checkpoint", "x" * 5000, "'checkpoint' is a string of 5000 characters"),
    ("data_dir", {"evil": 1}, "'data_dir' must be a string"),
    ("epochs", 10**30, None),
])
def test_tampered_cli_settings_give_one_line(cli_checkpoint, tmp_path, key, value, message):
    path = tmp_path / "tampered.npz"
    rewrite_checkpoint(cli_checkpoint, path, config_change("settings", key, value=value))
    code, out, err = run_cli("train", "--resume", path, "--quiet", "--epochs", "1")
    if message is None:  # an absurd but valid epoch count: --epochs overrides it, the run has ended
        assert code == 0, err
        return
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and message in err and str(path) in err


def test_every_cli_setting_has_a_schema_entry_that_takes_its_default():
    from bprop.cli import build_parser
    from bprop.cli.train import SETTINGS, settings_fields

    fields = settings_fields()
    assert set(fields) == set(SETTINGS)
    defaults = build_parser().parse_args(["train"])
    for key in SETTINGS:
        fields[key].check(getattr(defaults, key))  # raises ValueError for a default the schema refuses
