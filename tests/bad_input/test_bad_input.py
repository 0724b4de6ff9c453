"""Bad input raises ValueError naming the problem and leaves the network unchanged."""

import numpy as np
import pytest

from bprop import EarlyStopping, HalveOnPlateau, Network


@pytest.fixture
def net():
    return Network([4, 5, 3], hidden="relu", seed=0)


def snapshot(net):
    return [p.copy() for p in list(net.weights) + list(net.biases)], net.rng.bit_generator.state


def assert_unchanged(net, snap):
    params, rng_state = snap
    for before, after in zip(params, list(net.weights) + list(net.biases)):
        assert np.array_equal(before, after)
    assert net.rng.bit_generator.state == rng_state


X = np.zeros((6, 4))
Y = np.array([0, 1, 2, 0, 1, 2])

CASES = [
    ("wrong feature count", dict(x=np.zeros((6, 5))), "5 features but the network expects 4"),
    ("different lengths", dict(y=Y[:5]), "different lengths"),
    ("nan in x", dict(x=np.where(np.eye(6, 4) == 1, np.nan, 0.0)), "NaN or inf"),
    ("inf in x", dict(x=np.full((6, 4), np.inf)), "NaN or inf"),
    ("nan in y", dict(y=np.array([0, 1, np.nan, 0, 1, 2])), "NaN or inf"),
    ("class out of range", dict(y=np.array([0, 1, 3, 0, 1, 2])), "class index 3 .* out of range"),
    ("negative class", dict(y=np.array([0, -1, 2, 0, 1, 2])), "class index -1"),
    ("fractional class", dict(y=np.array([0, 1.5, 2, 0, 1, 2])), "4 distinct class labels \\(0.0, 1.0, 1.5, 2.0\\)"),
    ("empty", dict(x=np.zeros((0, 4)), y=np.zeros(0)), "empty"),
    ("1-D x", dict(x=np.zeros(4)), "2-D"),
    ("text x", dict(x=np.array([["a"] * 4] * 6)), "numbers"),
    ("wrong target columns", dict(y=np.zeros((6, 2))), "2 target columns"),
    ("eta zero", dict(eta=0), "eta must be a positive"),
    ("eta negative", dict(eta=-0.1), "eta must be a positive"),
    ("batch size zero", dict(batch_size=0), "batch_size must be a positive integer"),
    ("batch size float", dict(batch_size=2.5), "batch_size must be a positive integer"),
    ("epochs zero", dict(epochs=0), "epochs must be a positive integer"),
    ("bad validation", dict(validation=(np.zeros((3, 7)), [0, 1, 2])), "7 features"),
    ("unknown optimizer", dict(optimizer="rmsprop_x"), "valid optimizers are"),
]


@pytest.mark.parametrize("label,change,message", CASES, ids=[c[0] for c in CASES])
def test_fit_rejects_bad_input_without_changing_the_network(net, label, change, message):
    args = dict(x=X, y=Y, epochs=1, batch_size=2, eta=0.1, verbose=False)
    args.update(change)
    x, y = args.pop("x"), args.pop("y")
    snap = snapshot(net)
    with pytest.raises(ValueError, match=message):
        net.fit(x, y, **args)
    assert_unchanged(net, snap)


@pytest.mark.parametrize("method", ["backprop", "evaluate", "total_cost"])
def test_other_entry_points_check_input(net, method):
    snap = snapshot(net)
    with pytest.raises(ValueError, match="features"):
        getattr(net, method)(np.zeros((2, 9)), [0, 1])
    assert_unchanged(net, snap)
    with pytest.raises(ValueError, match="features"):
        net.predict(np.zeros((2, 9)))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(hidden="swish"), "unknown activation 'swish'; valid activations are: sigmoid, tanh, relu"),
        (dict(output="nope"), "valid activations are"),
        (dict(cost="hinge"), "unknown cost 'hinge'; valid costs are: quadratic, cross_entropy, log_likelihood"),
        (dict(init="zeros"), "valid initializers are"),
    ],
)
def test_unknown_names_list_the_valid_ones(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 3, 2], **kwargs)


def test_bad_sizes():
    with pytest.raises(ValueError, match="at least 2"):
        Network([3])
    with pytest.raises(ValueError, match="positive integers"):
        Network([3, 0, 2])


def test_huge_finite_values_are_not_mistaken_for_inf():
    """The fast finite check sums the data; a sum that overflows must not reject finite x."""
    import warnings

    net = Network([2, 3, 2], seed=0)
    x = np.full((4, 2), 3e38, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert net.predict(x).shape == (4,)
        with pytest.raises(ValueError, match="NaN or inf"):
            net.predict(np.array([[np.inf, -np.inf]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_value_anywhere_in_a_large_input_is_found(dtype, bad):
    """The finite check sums |x| with BLAS asum: a single NaN or inf at the start, in the
    SIMD body or in the odd tail of a long array must still be caught."""
    net = Network([37, 3, 2], seed=0, dtype=dtype)
    x = np.random.default_rng(0).random((1001, 37)).astype(dtype)  # 37,037 values: an odd tail
    for position in (0, 18_517, x.size - 1):
        poisoned = x.copy()
        poisoned.reshape(-1)[position] = bad
        with pytest.raises(ValueError, match=r"x contains NaN or inf \(1 values\)"):
            net.prepare(poisoned, np.zeros(1001, dtype=int))
    huge = np.full((4, 37), np.finfo(dtype).max / 2, dtype=dtype)  # finite, but the sum overflows
    assert net.prepare(huge, np.zeros(4, dtype=int))[0].shape == (4, 37)


# -- issue 15, item 10: no silent coercion; every rejected call changes nothing ------------


def full_snapshot(net, optimizer=None):
    """Weights, biases, generator, regularizer and (if given) optimizer state."""
    state = None if optimizer is None else {k: np.array(v, copy=True) for k, v in optimizer.state_dict().items()}
    regularizer = None if net.regularizer is None else net.regularizer.config()
    return snapshot(net), regularizer, state


def assert_all_unchanged(net, snap, optimizer=None):
    first, regularizer, state = snap
    assert_unchanged(net, first)
    assert (None if net.regularizer is None else net.regularizer.config()) == regularizer
    if optimizer is not None:
        now = optimizer.state_dict()
        assert now.keys() == state.keys()
        assert all(np.array_equal(now[k], state[k]) for k in state)


@pytest.fixture
def reg_net():
    return Network([4, 5, 3], hidden="relu", seed=0, regularizer=("l2", 1.0))


MORE_FIT_CASES = [
    ("complex x", dict(x=np.zeros((6, 4)) + 1j), r"x holds complex numbers \(dtype complex128\)"),
    ("complex y", dict(y=Y + 0j), "y holds complex numbers"),
    ("ragged x", dict(x=[[0.0] * 4] * 5 + [[0.0] * 3]), "x is ragged: row 5 has 3 values but row 0 has 4"),
    ("ragged y", dict(y=[[1, 0, 0]] * 5 + [[1, 0]]), "y is ragged: row 5 has 2 values but row 0 has 3"),
    ("epochs bool", dict(epochs=True), "epochs must be a positive integer, got True"),
    ("epochs float", dict(epochs=2.0), "epochs must be a positive integer, got 2.0"),
    ("epochs negative", dict(epochs=-3), "epochs must be a positive integer, got -3"),
    ("batch size bool", dict(batch_size=True), "batch_size must be a positive integer, got True"),
    ("batch size negative", dict(batch_size=-1), "batch_size must be a positive integer, got -1"),
    ("eta nan", dict(eta=float("nan")), "eta must be a positive finite number"),
    ("eta bool", dict(eta=True), "eta must be a positive finite number"),
    ("unknown option", dict(epoch=3), "unknown fit option 'epoch'; valid options are: epochs, batch_size, eta"),
    ("mean weight 0", dict(mean_weight=0.0), "mean_weight must be a positive finite number, got 0.0"),
    ("mean weight nan", dict(mean_weight=float("nan")), "mean_weight must be a positive finite number"),
    ("mean weight text", dict(mean_weight="2"), "mean_weight must be a positive finite number, got '2'"),
    ("early stopping without validation", dict(callbacks=[EarlyStopping()]),
     r"EarlyStopping monitors 'val_accuracy', which the epoch logs will not have \(pass validation="),
    ("plateau on an unknown metric", dict(callbacks=[HalveOnPlateau(monitor="nope")]),
     "HalveOnPlateau monitors 'nope', which the epoch logs will not have; they will have: .*train_cost"),
    ("monitored set not given", dict(callbacks=[EarlyStopping("test_cost")]), "monitors 'test_cost'"),
    ("checkpoint folder missing", dict(checkpoint="no/such/folder/run.ckpt"), "the folder .* does not exist"),
]


@pytest.mark.parametrize("label,change,message", MORE_FIT_CASES, ids=[c[0] for c in MORE_FIT_CASES])
def test_fit_refuses_before_changing_weights_generator_or_regularizer(reg_net, label, change, message, tmp_path,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = dict(x=X, y=Y, epochs=2, batch_size=2, eta=0.1, verbose=False)
    args.update(change)
    x, y = args.pop("x"), args.pop("y")
    snap = full_snapshot(reg_net)
    with pytest.raises(ValueError, match=message):
        reg_net.fit(x, y, **args)
    assert_all_unchanged(reg_net, snap)
    assert reg_net.regularizer.n is None
    assert list(tmp_path.iterdir()) == []


def test_callbacks_may_monitor_every_metric_the_logs_will_have():
    from bprop import Callback

    class Adds(Callback):
        provides = ("my_score",)

        def on_epoch_end(self, trainer, epoch, logs):
            logs["my_score"] = float(epoch)

    net = Network([4, 5, 3], hidden="relu", seed=0)
    x_val, y_val = X[:3], Y[:3]
    for monitor in ("val_cost", "val_accuracy", "test_accuracy", "train_cost", "grad_norm_2", "my_score"):
        history = net.fit(X, Y, epochs=2, batch_size=2, verbose=False, validation=(x_val, y_val),
                          monitor={"test": (x_val, y_val)}, callbacks=[Adds(), EarlyStopping(monitor, patience=5)])
        assert monitor in history.epochs[-1]


def test_an_explicit_eta_that_differs_from_the_optimizers_is_refused():
    from bprop import Adam

    net = Network([4, 5, 3], hidden="relu", seed=0)
    adam = Adam()
    snap = full_snapshot(net, adam)
    with pytest.raises(ValueError, match=r"eta=0.5 and the optimizer Adam\(eta=0.001.*disagree on the learning rate"):
        net.fit(X, Y, epochs=1, batch_size=2, eta=0.5, optimizer=adam, verbose=False)
    assert_all_unchanged(net, snap, adam)
    assert adam.t == 0 and adam.eta == 0.001
    # The same rate twice, or the rate only on the optimizer, is fine; a name takes eta.
    assert net.fit(X, Y, epochs=1, batch_size=2, eta=0.001, optimizer=adam, verbose=False).epochs[0]["eta"] == 0.001
    assert net.fit(X, Y, epochs=1, batch_size=2, optimizer=Adam(0.02), verbose=False).epochs[0]["eta"] == 0.02
    assert net.fit(X, Y, epochs=1, batch_size=2, eta=0.05, optimizer="adam", verbose=False).epochs[0]["eta"] == 0.05


def test_without_eta_a_named_optimizer_uses_its_own_default():
    net = Network([4, 5, 3], hidden="relu", seed=0)
    assert net.fit(X, Y, epochs=1, batch_size=2, verbose=False).epochs[0]["eta"] == 0.1
    assert net.fit(X, Y, epochs=1, batch_size=2, optimizer="adam", verbose=False).epochs[0]["eta"] == 0.001
    assert net.fit(X, Y, epochs=1, batch_size=2, optimizer="momentum", verbose=False).epochs[0]["eta"] == 0.1


def test_a_rejected_resume_changes_nothing(reg_net, tmp_path):
    before = reg_net.evaluate(X, Y)["cost"]
    snap = full_snapshot(reg_net)
    with pytest.raises(FileNotFoundError, match="missing.ckpt"):
        reg_net.fit(X, Y, epochs=1, batch_size=2, resume=tmp_path / "missing.ckpt", verbose=False)
    (tmp_path / "bad.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a bprop file"):
        reg_net.fit(X, Y, epochs=1, batch_size=2, resume=tmp_path / "bad.ckpt", verbose=False)
    assert_all_unchanged(reg_net, snap)
    assert reg_net.regularizer.n is None
    assert reg_net.evaluate(X, Y)["cost"] == before  # the penalty still divides by the data's size


@pytest.mark.parametrize("batch_size", [-1, 0, 2.5, True, "8", None])
def test_evaluate_refuses_bad_batch_sizes(net, batch_size):
    snap = snapshot(net)
    with pytest.raises(ValueError, match=f"batch_size must be a positive integer, got {batch_size!r}"):
        net.evaluate(X, Y, batch_size=batch_size)
    assert_unchanged(net, snap)
    assert net.evaluate(X, Y, batch_size=np.int64(4)) == net.evaluate(X, Y)


@pytest.mark.parametrize("entry", ["evaluate", "predict", "feedforward", "total_cost", "backprop"])
def test_complex_and_ragged_input_is_refused_everywhere(net, entry):
    snap = snapshot(net)
    call = getattr(net, entry)
    args = (lambda x: (x,)) if entry in ("predict", "feedforward") else (lambda x: (x, [0, 1]))
    with pytest.raises(ValueError, match="x holds complex numbers"):
        call(*args(np.ones((2, 4), dtype=np.complex64)))
    with pytest.raises(ValueError, match="x is ragged: row 1 has 5 values but row 0 has 4"):
        call(*args([[1, 2, 3, 4], [1, 2, 3, 4, 5]]))
    assert_unchanged(net, snap)


def test_complex_parameters_are_refused(net):
    snap = snapshot(net)
    with pytest.raises(ValueError, match="weights must be real numbers"):
        net.weights[0] = np.ones((5, 4)) * 1j
    with pytest.raises(ValueError, match="biases must be real numbers"):
        net.biases = [np.zeros(5) + 0j, np.zeros(3)]
    assert_unchanged(net, snap)


@pytest.mark.parametrize("dtype", ["flaot32", "int32", "float16", None, np.complex64])
def test_unknown_dtypes_list_the_valid_ones(dtype):
    with pytest.raises(ValueError, match=f"dtype must be float32 or float64, got {dtype!r}"):
        Network([4, 5, 3], dtype=dtype)


def test_copy_to_a_bad_dtype_is_refused(net):
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got 'int8'"):
        net.copy(dtype="int8")


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, [1, 2], np.random.default_rng(0)])
def test_seeds_must_be_non_negative_integers(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        Network([4, 5, 3], seed=seed)


def test_numpy_integer_seeds_and_none_are_seeds():
    a, b = Network([4, 5, 3], seed=np.int64(3)), Network([4, 5, 3], seed=3)
    assert np.array_equal(a.weights[0], b.weights[0])
    assert Network([4, 5, 3], seed=None).seed is None


@pytest.mark.parametrize("sizes", [5, "784,100,10", 3.0, {4, 5}])
def test_sizes_must_be_a_list(sizes):
    with pytest.raises(ValueError, match=r"sizes must be a list, e.g. Network\(\[784, 100, 10\]\)"):
        Network(sizes)


def test_sizes_may_be_a_tuple_or_an_array():
    assert Network((4, 5, 3), seed=0).sizes == Network(np.array([4, 5, 3]), seed=0).sizes == [4, 5, 3]


@pytest.mark.parametrize("eps", [0, -1e-6, float("nan"), float("inf"), True, "1e-6"])
def test_gradcheck_refuses_bad_steps(net, eps):
    from bprop import gradcheck

    snap = snapshot(net)
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        gradcheck(net, X[:2], Y[:2], eps=eps)
    assert_unchanged(net, snap)


@pytest.mark.parametrize("kwargs,message", [
    (dict(dtype="int32"), "dtype must be float32 or float64, got 'int32'"),
    (dict(dtype="uint8"), "dtype must be float32 or float64"),
    (dict(seed=-2), "seed must be a non-negative integer, got -2"),
    (dict(seed=0.5), "seed must be a non-negative integer, got 0.5"),
])
def test_load_digits_refuses_bad_arguments(kwargs, message):
    from bprop.datasets import load_digits

    with pytest.raises(ValueError, match=message):
        load_digits(**kwargs)


def test_load_digits_in_float64():
    from bprop.datasets import load_digits

    train = load_digits(dtype="float64").train
    assert train.x.dtype == np.float64 and 0 < train.x.max() <= 1 and len(np.unique(train.x)) > 2


# -- the rest of that kind, found across the public API ------------------------------------


HUNTED_FIT_CASES = [
    ("shuffle as text", dict(shuffle="no"), "shuffle must be True or False, got 'no'"),
    ("verbose 2", dict(verbose=2), "verbose must be True or False, got 2"),
    ("one callback, not a list", dict(callbacks=EarlyStopping("train_cost")),
     r"callbacks must be a list of Callback objects; wrap the one given: callbacks=\[EarlyStopping"),
    ("callbacks not iterable", dict(callbacks=5), "callbacks must be a list of Callback objects, got 5"),
    ("settings not a dict", dict(settings=[1, 2]), r"settings must be a dict of JSON values, got \[1, 2\]"),
    ("settings not JSON", dict(settings={"when": object()}, checkpoint="run.ckpt"),
     "settings must hold JSON values .*object"),
    ("checkpoint is a folder", dict(checkpoint="."), "is a folder; give a file path"),
    ("x beyond float32", dict(x=np.full((6, 4), 1e300)),
     r"x has values too large for float32 \(\|x\| up to 1e\+300; the largest float32 is 3.4e\+38\)"),
]


@pytest.mark.parametrize("label,change,message", HUNTED_FIT_CASES, ids=[c[0] for c in HUNTED_FIT_CASES])
def test_fit_refuses_more_bad_options_before_anything_changes(reg_net, label, change, message, tmp_path, monkeypatch):
    test_fit_refuses_before_changing_weights_generator_or_regularizer(reg_net, label, change, message, tmp_path,
                                                                      monkeypatch)


@pytest.mark.parametrize("name", ["adam", "momentum"])
def test_an_optimizer_with_state_for_another_network_is_refused(name):
    from bprop import Adam, Momentum

    optimizer = Adam(0.01) if name == "adam" else Momentum(0.01)
    Network([4, 6, 3], seed=0).fit(X, Y, epochs=1, batch_size=2, optimizer=optimizer, verbose=False)
    net = Network([4, 5, 3], seed=0)
    snap = full_snapshot(net, optimizer)
    with pytest.raises(ValueError, match=r"holds state for parameters of shapes \[\(6, 4\), .* but the network's "
                                         r"are \[\(5, 4\), .*give each network its own optimizer"):
        net.fit(X, Y, epochs=1, batch_size=2, optimizer=optimizer, verbose=False)
    assert_all_unchanged(net, snap, optimizer)


@pytest.mark.parametrize("min_delta", [float("nan"), float("inf"), -0.1])
def test_early_stopping_refuses_a_meaningless_min_delta(min_delta):
    with pytest.raises(ValueError, match="min_delta must be a non-negative number"):
        EarlyStopping(min_delta=min_delta)


@pytest.mark.parametrize("n", [-1, 0, True, float("nan"), float("inf"), "8"])
def test_penalty_refuses_a_bad_training_set_size(reg_net, n):
    with pytest.raises(ValueError, match=f"n must be a positive number .*, got {n!r}"):
        reg_net.penalty(n)
    # n may be a sum of sample weights: 2.5 divides lambda by 2.5
    assert reg_net.penalty(2.5) == pytest.approx(reg_net.penalty(5) * 2)


@pytest.mark.parametrize("argv", [["train", "--seed", "-1"], ["gradcheck", "3,4,2", "--seed", "x"],
                                  ["explain", "--seed", "-3"], ["graph", "--seed", "-1"], ["draw", "--seed", "-2"]])
def test_command_line_seeds_must_be_non_negative_integers(argv, capsys, tmp_path, monkeypatch):
    from bprop.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert f"argument --seed: seed must be a non-negative integer, got '{argv[-1]}'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_library_seeds_are_checked_everywhere():
    from bprop.explain.examples import resolve
    from bprop.textbook import TextbookNetwork

    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        resolve(sizes=[2, 2, 2], seed=-1)
    textbook = TextbookNetwork([np.eye(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got 0.5"):
        textbook.fit(np.zeros((2, 2)), [0, 1], seed=0.5)
    assert np.array_equal(textbook.weights[0], np.eye(2))


@pytest.mark.parametrize("preprocessing", ["standardize", "scale"])
def test_a_value_the_preprocessing_takes_past_float32_is_named_not_predicted_as_nan(preprocessing):
    """Finite x that the stored preprocessing takes beyond float32 (here (1e300 - mean) / std; a
    model file with std 1e-320 does it to every value) became inf, then NaN probabilities, a
    label read from them and accuracy scored on them, with no error. Now it is refused, naming it."""
    from bprop import Scale

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 4)), rng.integers(0, 3, size=40)
    standardize = preprocessing == "standardize"
    net = Network([4, 5, 3], seed=0, preprocessing="standardize" if standardize else Scale(1e30))
    net.fit(x if standardize else x * 1e-30, y, epochs=1, batch_size=8, verbose=False)
    bad = x[:3].copy()
    bad[1, 2] = 1e300 if standardize else 1e10  # Scale: 1e10 * 1e30 = 1e40 > 3.4e38
    snap = snapshot(net)
    for call in (net.predict, net.predict_proba, net.feedforward, lambda v: net.evaluate(v, y[:3]),
                 lambda v: net.fit(v, y[:3], epochs=1, verbose=False)):
        with pytest.raises(ValueError, match=r"x has a value too large for the network's .* in float32: row 1, "
                                             r"column 2 \(1e\+(300|10)\) becomes .*the largest float32 is 3.4e\+38"):
            call(bad)
    assert_unchanged(net, snap)
    ok = bad.copy()
    ok[1, 2] = 0.5
    assert np.isfinite(net.predict_proba(ok)).all()


def test_a_dataframe_with_the_features_in_another_order_is_refused_not_read_by_position():
    """A model with feature names (every 'bprop train --data' model) predicted on a DataFrame whose
    columns were its features in another order, reading them by position: 57 of 80 labels changed,
    with no error. The command line matches such columns by name; scikit-learn refuses them."""
    pandas = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    x = pandas.DataFrame(rng.normal(size=(30, 4)) * [1, 10, 100, 1000], columns=["a", "b", "c", "d"])
    y = rng.integers(0, 3, size=30)
    net = Network([4, 5, 3], seed=0, preprocessing="standardize", feature_names=["a", "b", "c", "d"])
    net.fit(x, y, epochs=1, batch_size=8, verbose=False)
    snap = snapshot(net)
    for columns in (["d", "c", "b", "a"], ["a", "b", "c", "e"]):
        moved = x[["d", "c", "b", "a"]] if columns[0] == "d" else x.rename(columns={"d": "e"})
        for call in (net.predict, net.predict_proba, lambda v: net.evaluate(v, y),
                     lambda v: net.fit(v, y, epochs=1, verbose=False)):
            with pytest.raises(ValueError, match=r"x's columns \[.*\] are not the network's feature_names "
                                                 r"\['a', 'b', 'c', 'd'\] in their order.*x\[net.feature_names\]"):
                call(moved)
    assert_unchanged(net, snap)
    moved = x[["d", "c", "b", "a"]]
    np.testing.assert_array_equal(net.predict(moved[net.feature_names]), net.predict(x))
    np.testing.assert_array_equal(net.predict(moved.to_numpy()[:, ::-1]), net.predict(x))  # arrays: by position


def test_repeated_feature_names_are_refused_when_the_network_is_built_or_loaded(tmp_path):
    """A model file with feature_names ['a', 'b', 'c', 'a'] loaded, then no CSV could be matched to
    it ('bprop predict' blamed the CSV: "not among them: 'd'")."""
    import json
    import zipfile
    from io import BytesIO

    import bprop

    with pytest.raises(ValueError, match=r"feature_names must be distinct; 'a' repeat"):
        Network([4, 5, 3], feature_names=["a", "b", "c", "a"])
    Network([4, 5, 3], seed=0, feature_names=["a", "b", "c", "d"]).save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    doc = json.loads(np.load(BytesIO(members["__bprop__.npy"])).tobytes().decode())
    doc["config"]["feature_names"] = ["a", "b", "c", "a"]
    buffer = BytesIO()
    np.save(buffer, np.frombuffer(json.dumps(doc).encode(), np.uint8))
    members["__bprop__.npy"] = buffer.getvalue()
    with zipfile.ZipFile(tmp_path / "edited.npz", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"edited.npz: .*feature_names must be distinct; 'a' repeat"):
        bprop.load(tmp_path / "edited.npz")


def test_outputs_that_overflow_inside_the_network_are_refused_not_scored():
    """A float32 model given x = 3e38 (finite, and finite after its preprocessing): the layers
    overflow, z^L is NaN or inf, and predict read a label from it (argmax takes the first class),
    predict_proba gave NaN, evaluate {'cost': nan, 'accuracy': 1.0}. Each now raises, naming the row;
    the cost alone (total_cost) still shows the NaN."""
    import warnings

    from bprop.sklearn import MLPClassifier

    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 3))
    y = (x[:, 0] > 0).astype(int)
    net = Network([3, 8, 2], seed=0, dtype="float32")
    net.fit(x, y, epochs=2, verbose=False)
    bad = x[:4].copy()
    bad[2] = 3e38  # row 2: finite in float32 (largest 3.4e38), overflows in the products
    message = r"not finite for row 2 of x .*overflow float32 inside the network"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for call in (lambda: net.predict(bad), lambda: net.predict_proba(bad), lambda: net.feedforward(bad),
                     lambda: net.evaluate(bad, y[:4])):
            with pytest.raises(ValueError, match=message):
                call()
        assert not np.isfinite(net.total_cost(bad, y[:4]))
        estimator = MLPClassifier((8,), max_epochs=2, random_state=0).fit(x, y)
        with pytest.raises(ValueError, match="not finite for row 2 of x"):
            estimator.predict(bad)
    np.testing.assert_array_equal(net.predict(x[:4]), net.predict(x[:4]))  # finite rows: as ever
    np.testing.assert_allclose(net.feedforward(x[:4]).sum(axis=1), 1, rtol=1e-6)
